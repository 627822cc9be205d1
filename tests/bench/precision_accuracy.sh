#!/usr/bin/env bash
# Test accuracy of --precision bf16 against fp32 on the same runs (seeds 1-3): the check of
# README "Precision" (bf16 within 0.5 points of fp32). Not a timed benchmark; it lives here
# because it trains full models (about 5 minutes for the CNN on 2 cores).
#   tests/bench/precision_accuracy.sh [MODEL] [EPOCHS] [RANKS]     (default: cnn 5 2)
# Prints one JSON line per run and a summary line per precision.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../launch/env.sh"
cd "$TANDEM_ROOT"
model=${1:-cnn} epochs=${2:-5} ranks=${3:-2}
data=datasets/fashion-mnist.h5
[ -x "$TANDEM_BUILD/tandem" ] || { tandem_install_packages; tandem_build OFF; }
[ -f "$data" ] || "$TANDEM_BUILD/tandem" convert idx --dir /usr/share/datasets/fashion-mnist --out "$data"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for precision in fp32 bf16; do
  accs=()
  for seed in 1 2 3; do
    mpirun -np "$ranks" "$TANDEM_BUILD/tandem" train --data "$data" --model "launch/models/$model.model" \
      --epochs "$epochs" --batch-size 128 --lr 0.05 --optimizer momentum --threads 1 --seed "$seed" \
      --precision "$precision" --out "$tmp/$precision-$seed" > "$tmp/log" 2>&1
    acc=$(sed -n 's/^final test accuracy \([0-9.]*\).*/\1/p' "$tmp/log")
    accs+=("$acc")
    printf '{"model": "%s", "precision": "%s", "seed": %d, "epochs": %d, "test_accuracy": %s}\n' \
      "$model" "$precision" "$seed" "$epochs" "$acc"
  done
  printf '%s\n' "${accs[@]}" | awk -v p="$precision" -v m="$model" \
    '{ s += $1; v[NR] = $1 } END { printf "{\"model\": \"%s\", \"precision\": \"%s\", \"mean_test_accuracy\": %.4f}\n", m, p, s / NR }'
done
