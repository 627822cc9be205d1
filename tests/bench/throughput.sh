#!/usr/bin/env bash
# Steady-state training throughput of tandem (and, with --pytorch, of the PyTorch reference
# scripts in ../shared/reference, run in the same sitting on the same data).
#   tests/bench/throughput.sh [--pytorch] [--repeats N]
# Prints one JSON object per configuration; samples/s is the median over the epochs after
# the first (warm-up) of each run, then the median over the repeats.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../launch/env.sh"
cd "$TANDEM_ROOT"
pytorch=0 repeats=3
while [ $# -gt 0 ]; do
  case $1 in
    --pytorch) pytorch=1 ;;
    --repeats) repeats=$2; shift ;;
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

# run_tandem MODEL RANKS THREADS EPOCHS TRAIN_LIMIT [PRECISION]
run_tandem() {
  local model=$1 ranks=$2 threads=$3 epochs=$4 limit=$5 precision=${6:-fp32} runs=() rss=()
  for ((r = 0; r < repeats; r++)); do
    OPENBLAS_NUM_THREADS=$threads mpirun -np "$ranks" --map-by "slot:PE=$threads" --bind-to core \
      "$TANDEM_BUILD/tandem" train --data "$data" --model "launch/models/$model.model" --epochs "$epochs" \
      --batch-size 128 --lr 0.05 --optimizer momentum --threads "$threads" --train-limit "$limit" \
      --test-limit 1000 --seed $r --precision "$precision" > "$tmp/log" 2>&1
    runs+=("$(grep '^epoch' "$tmp/log" | tail -n +2 | sed 's/.* \([0-9]*\) samples\/s/\1/' | median)")
    rss+=("$(sed -n 's/^peak resident memory \([0-9.]*\) MiB.*/\1/p' "$tmp/log")")
  done
  printf '{"impl": "tandem", "model": "%s", "precision": "%s", "ranks": %d, "threads_per_rank": %d, "global_batch": 128, "samples_per_s": %s, "runs": [%s], "peak_rss_mib_per_rank": %s}\n' \
    "$model" "$precision" "$ranks" "$threads" "$(printf '%s\n' "${runs[@]}" | median)" "$(IFS=,; echo "${runs[*]}")" \
    "$(printf '%s\n' "${rss[@]}" | sort -g | tail -1)"
}

run_tandem mlp 1 1 4 0
run_tandem mlp 1 2 4 0
run_tandem mlp 2 1 4 0
run_tandem cnn 1 1 3 12800
run_tandem cnn 1 2 3 12800
run_tandem cnn 2 1 3 12800
run_tandem cnn-bn 1 1 3 12800
run_tandem resnet-mini 1 1 3 12800
for model in cnn cnn-bn resnet-mini; do run_tandem $model 1 1 3 12800 bf16; done
run_tandem cnn 2 1 3 12800 bf16

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
