#!/usr/bin/env bash
# Data-parallel scaling on this machine, 1 and 2 ranks x 1 BLAS thread:
#  - weak scaling: per-rank batch fixed at 128 (1 rank: global 128, 2 ranks: global 256);
#  - strong scaling: global batch fixed at 256;
#  - 2 ranks with --grad-sync bucketed and blocking: samples/s and the share of the epoch spent
#    waiting for gradients (time inside the synchronization after backward);
#  - raw MPI_Allreduce / MPI_Iallreduce time for the same bytes as each model's gradients;
#  - every --precisions (default fp32 bf16: convolutions and dense layers in bf16).
#   tests/bench/scaling.sh [--repeats N] [--models "mlp cnn"] [--precisions "fp32 bf16"]
# Prints one JSON object per configuration: the median over epochs 2.. of each run, then the
# median over the repeats. Ratios at the end compare runs measured in this same sitting.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../launch/env.sh"
cd "$TANDEM_ROOT"
repeats=3 models="mlp cnn" precisions="fp32 bf16"
while [ $# -gt 0 ]; do
  case $1 in
    --repeats) repeats=$2; shift ;;
    --models) models=$2; shift ;;
    --precisions) precisions=$2; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[ -x "$TANDEM_BUILD/tandem" ] && [ -x "$TANDEM_BUILD/tests/bench_allreduce" ] || { tandem_install_packages; tandem_build ON; }
data=datasets/fashion-mnist.h5
[ -f "$data" ] || "$TANDEM_BUILD/tandem" convert idx --dir /usr/share/datasets/fashion-mnist --out "$data"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
declare -A result

# run NAME MODEL RANKS BATCH SYNC EPOCHS LIMIT  (in $precision)
run() {
  local name=$1 model=$2 ranks=$3 batch=$4 sync=$5 epochs=$6 limit=$7 rates=() waits=()
  for ((r = 0; r < repeats; r++)); do
    mpirun -np "$ranks" --bind-to core "$TANDEM_BUILD/tandem" train --data "$data" \
      --model "launch/models/$model.model" --epochs "$epochs" --batch-size "$batch" --threads 1 \
      --grad-sync "$sync" --train-limit "$limit" --test-limit 1000 --seed "$r" --precision "$precision" \
      > "$tmp/log" 2>&1 ||
      { cat "$tmp/log"; exit 1; }
    rates+=("$(grep '^epoch' "$tmp/log" | tail -n +2 | sed 's/.* \([0-9]*\) samples\/s.*/\1/' | median)")
    waits+=("$(grep '^epoch' "$tmp/log" | tail -n +2 | sed 's/.*grad wait \([0-9.]*\)%.*/\1/' | median)")
  done
  local rate wait
  rate=$(printf '%s\n' "${rates[@]}" | median)
  wait=$(printf '%s\n' "${waits[@]}" | median)
  result[$name]=$rate
  printf '{"run": "%s", "model": "%s", "precision": "%s", "ranks": %d, "threads_per_rank": 1, "global_batch": %d, "grad_sync": "%s", "samples_per_s": %s, "grad_wait_percent": %s, "runs": [%s]}\n' \
    "$name" "$model" "$precision" "$ranks" "$batch" "$sync" "$rate" "$wait" "$(IFS=,; echo "${rates[*]}")"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

for model in $models; do
  if [ "$model" = mlp ]; then epochs=4 limit=0; else epochs=3 limit=6400; fi
  for precision in $precisions; do
    id=$model-$precision
    run "$id-1x1-b128" "$model" 1 128 bucketed $epochs $limit
    run "$id-1x1-b256" "$model" 1 256 bucketed $epochs $limit
    run "$id-2x1-b256-bucketed" "$model" 2 256 bucketed $epochs $limit
    run "$id-2x1-b256-blocking" "$model" 2 256 blocking $epochs $limit
    printf '{"model": "%s", "precision": "%s", "weak_scaling_bucketed": %s, "weak_scaling_blocking": %s, "strong_scaling_bucketed": %s, "strong_scaling_blocking": %s}\n' \
      "$model" "$precision" \
      "$(ratio "${result[$id-2x1-b256-bucketed]}" "${result[$id-1x1-b128]}")" \
      "$(ratio "${result[$id-2x1-b256-blocking]}" "${result[$id-1x1-b128]}")" \
      "$(ratio "${result[$id-2x1-b256-bucketed]}" "${result[$id-1x1-b256]}")" \
      "$(ratio "${result[$id-2x1-b256-blocking]}" "${result[$id-1x1-b256]}")"
  done
  params=$("$TANDEM_BUILD/tandem" train --data "$data" --model "launch/models/$model.model" --epochs 0 \
    --threads 1 2>&1 | sed -n 's/.*: \([0-9]*\) parameters.*/\1/p')
  mpirun -np 2 --bind-to core "$TANDEM_BUILD/tests/bench_allreduce" --bytes $((params * 4)) |
    sed "s/^{/{\"model\": \"$model\", /"
done
