#!/usr/bin/env bash
# Steady-state training throughput of tandem (and, with --pytorch, of the PyTorch reference
# scripts in ../shared/reference, run in the same sitting on the same data).
#   tests/bench/throughput.sh [--pytorch] [--repeats N] [--exchange-only]
# --exchange-only: just the rows comparing the gradient exchange modes on 2 ranks.
# Prints one JSON object per configuration; samples/s is the median over the epochs after
# the first (warm-up) of each run, then the median over the repeats.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../launch/env.sh"
cd "$TANDEM_ROOT"
pytorch=0 repeats=3 exchange_only=0
while [ $# -gt 0 ]; do
  case $1 in
    --pytorch) pytorch=1 ;;
    --repeats) repeats=$2; shift ;;
    --exchange-only) exchange_only=1 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[ -x "$TANDEM_BUILD/tandem" ] || { tandem_install_packages; tandem_build OFF; }
data=datasets/fashion-mnist.h5
[ -f "$data" ] || "$TANDEM_BUILD/tandem" convert idx --dir /usr/share/datasets/fashion-mnist --out "$data"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# run_once MODEL RANKS THREADS EPOCHS TRAIN_LIMIT PRECISION SEED [OPTIONS...]: one run's
# samples/s and share of waiting for the gradient exchange (and, sharded, the parameter
# allgather), each the median over the epochs after the first, and its peak RSS per rank.
run_once() {
  local model=$1 ranks=$2 threads=$3 epochs=$4 limit=$5 precision=$6 seed=$7
  shift 7
  OPENBLAS_NUM_THREADS=$threads mpirun -np "$ranks" --map-by "slot:PE=$threads" --bind-to core \
    "$TANDEM_BUILD/tandem" train --data "$data" --model "launch/models/$model.model" --epochs "$epochs" \
    --batch-size 128 --lr 0.05 --optimizer momentum --threads "$threads" --train-limit "$limit" \
    --test-limit 1000 --seed "$seed" --precision "$precision" "$@" > "$tmp/log" 2>&1
  echo "$(grep '^epoch' "$tmp/log" | tail -n +2 | sed 's/.* \([0-9]*\) samples\/s.*/\1/' | median)" \
    "$(grep '^epoch' "$tmp/log" | tail -n +2 | sed 's/.*grad wait \([0-9.]*\)%.*/\1/' | median)" \
    "$(sed -n 's/^peak resident memory \([0-9.]*\) MiB.*/\1/p' "$tmp/log")"
}

# report MODEL PRECISION EXCHANGE RANKS THREADS: one JSON line from the "sps wait rss" lines
# of its runs in $tmp/runs.
report() {
  local runs waits rss
  runs=$(cut -d' ' -f1 "$tmp/runs"); waits=$(cut -d' ' -f2 "$tmp/runs"); rss=$(cut -d' ' -f3 "$tmp/runs")
  printf '{"impl": "tandem", "model": "%s", "precision": "%s", "exchange": "%s", "ranks": %d, "threads_per_rank": %d, "global_batch": 128, "samples_per_s": %s, "runs": [%s], "grad_wait_pct": %s, "peak_rss_mib_per_rank": %s}\n' \
    "$1" "$2" "$3" "$4" "$5" "$(echo "$runs" | median)" "$(echo "$runs" | paste -sd,)" \
    "$(echo "$waits" | median)" "$(echo "$rss" | sort -g | tail -1)"
}

# run_tandem MODEL RANKS THREADS EPOCHS TRAIN_LIMIT [PRECISION]
run_tandem() {
  : > "$tmp/runs"
  for ((r = 0; r < repeats; r++)); do run_once "$1" "$2" "$3" "$4" "$5" "${6:-fp32}" $r >> "$tmp/runs"; done
  report "$1" "${6:-fp32}" fp32 "$2" "$3"
}

# The gradient exchange modes on 2 ranks of 64 samples (the quickstart's layout), the modes'
# runs interleaved (A B C D A B C D ...) so that the machine's drift hits each alike.
exchange_rows() {
  local model=$1 epochs=$2 limit=$3 precision=$4 m
  local modes=("" "--shard-optimizer" "--grad-dtype bf16" "--shard-optimizer --grad-dtype bf16")
  for m in "${!modes[@]}"; do : > "$tmp/runs$m"; done
  for ((r = 0; r < repeats; r++)); do
    for m in "${!modes[@]}"; do
      # shellcheck disable=SC2086  # a mode is several options
      run_once "$model" 2 1 "$epochs" "$limit" "$precision" $r ${modes[$m]} >> "$tmp/runs$m"
    done
  done
  for m in "${!modes[@]}"; do
    cp "$tmp/runs$m" "$tmp/runs"
    report "$model" "$precision" "${modes[$m]:-fp32}" 2 1
  done
}

if [ "$exchange_only" = 1 ]; then
  exchange_rows mlp 4 0 fp32
  exchange_rows cnn 3 12800 fp32
  exchange_rows cnn 3 12800 bf16
  exit 0
fi

run_tandem mlp 1 1 4 0
run_tandem mlp 1 2 4 0
exchange_rows mlp 4 0 fp32
run_tandem cnn 1 1 3 12800
run_tandem cnn 1 2 3 12800
exchange_rows cnn 3 12800 fp32
run_tandem cnn-bn 1 1 3 12800
run_tandem resnet-mini 1 1 3 12800
run_tandem mlp 1 1 4 0 bf16
for model in cnn cnn-bn resnet-mini; do run_tandem $model 1 1 3 12800 bf16; done
exchange_rows cnn 3 12800 bf16

if [ "$pytorch" = 1 ]; then
  ref=$TANDEM_ROOT/../shared/reference
  tandem_install_packages python3-torch time
  py() {  # prints the RESULT json with the peak RSS of the process tree added
    /usr/bin/time -f '%M' -o "$tmp/rss" "$@" > "$tmp/py.log" 2>&1
    local kib; kib=$(tail -1 "$tmp/rss")
    sed -n 's/^RESULT //p' "$tmp/py.log" | sed "s/}\$/, \"peak_rss_mib\": $((kib / 1024))}/"
  }
  OPENBLAS_NUM_THREADS=1 py /usr/bin/python3 "$ref/train_single.py" --model mlp --threads 1 --epochs 4
  OMP_WAIT_POLICY=PASSIVE py /usr/bin/python3 "$ref/train_single.py" --model mlp --threads 1 --epochs 4
  # DDP over gloo has hung here once in several sittings: a timeout, reported, not the end of the run.
  OPENBLAS_NUM_THREADS=1 py timeout 600 /usr/bin/python3 "$ref/train_ddp.py" --model mlp --world 2 --threads 1 --epochs 3 --port $((20000 + RANDOM % 20000)) ||
    echo '{"model": "mlp", "world": 2, "error": "train_ddp.py did not finish within 600 s"}'
  OPENBLAS_NUM_THREADS=1 py /usr/bin/python3 "$ref/train_single.py" --model mlp --threads 1 --epochs 4 --bf16
  for model in cnn cnn_bn resnet_mini; do
    OPENBLAS_NUM_THREADS=1 py /usr/bin/python3 "$ref/train_single.py" --model $model --threads 1 --epochs 2
    OPENBLAS_NUM_THREADS=1 py /usr/bin/python3 "$ref/train_single.py" --model $model --threads 1 --epochs 2 --bf16
  done
fi
