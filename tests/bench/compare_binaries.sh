#!/usr/bin/env bash
# Training throughput of several tandem binaries in one sitting, runs interleaved (A B C A B C
# ...) so that the machine's drift hits every binary alike: the before/after comparison of a
# change. Samples/s of a run is the median of its epochs after the first (warm-up); a
# configuration's figure is the median over the repeats.
#   tests/bench/compare_binaries.sh [--repeats N] [--configs 'mlp:1 cnn:1 mlp:2 cnn:2'] BIN...
# e.g. build the old commit into /tmp/old (cmake -S OLD -B /tmp/old), then
#   tests/bench/compare_binaries.sh /tmp/old/tandem build/tandem
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../launch/env.sh"
cd "$TANDEM_ROOT"
repeats=3 configs="mlp:1 cnn:1 mlp:2 cnn:2"
while [ $# -gt 0 ]; do
  case $1 in
    --repeats) repeats=$2; shift 2 ;;
    --configs) configs=$2; shift 2 ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || { echo "usage: $0 [--repeats N] [--configs 'mlp:1 cnn:2'] BIN..." >&2; exit 2; }
bins=("$@")
data=datasets/fashion-mnist.h5
[ -f "$data" ] || "${bins[0]}" convert idx --dir /usr/share/datasets/fashion-mnist --out "$data"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# run BIN MODEL RANKS: one run's samples/s (the MLP on all 60,000 samples for 4 epochs, the
# CNN on 12,800 for 3; global batch 128, one BLAS thread per rank, ranks bound to cores).
run() {
  local bin=$1 model=$2 ranks=$3 epochs=4 limit=0
  [ "$model" != mlp ] && epochs=3 limit=12800
  OPENBLAS_NUM_THREADS=1 mpirun -np "$ranks" --map-by slot:PE=1 --bind-to core "$bin" train --data "$data" \
    --model "launch/models/$model.model" --epochs "$epochs" --batch-size 128 --lr 0.05 --optimizer momentum \
    --threads 1 --train-limit "$limit" --test-limit 1000 --seed 0 > "$tmp/log" 2>&1
  grep '^epoch' "$tmp/log" | tail -n +2 | sed 's/.* \([0-9]*\) samples\/s.*/\1/' | median
}

for config in $configs; do
  model=${config%:*} ranks=${config#*:}
  declare -A runs=()
  for ((r = 0; r < repeats; r++)); do
    for i in "${!bins[@]}"; do runs[$i]+="$(run "${bins[$i]}" "$model" "$ranks") "; done
  done
  first=""
  for i in "${!bins[@]}"; do
    m=$(printf '%s\n' ${runs[$i]} | median)
    [ -z "$first" ] && first=$m
    printf '{"model": "%s", "ranks": %d, "binary": "%s", "samples_per_s": %s, "runs": [%s], "vs_first": %.3f}\n' \
      "$model" "$ranks" "${bins[$i]}" "$m" "$(echo ${runs[$i]} | tr ' ' ',')" "$(awk -v a="$m" -v b="$first" 'BEGIN { print a / b }')"
  done
  unset runs
done
