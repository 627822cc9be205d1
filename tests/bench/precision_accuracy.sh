#!/usr/bin/env bash
# Test accuracy of variants of the same runs (seeds 1-3): by default --precision bf16 against
# fp32, the check of README "Precision" (bf16 within 0.5 points of fp32); other variants are
# any `tandem train` options, e.g. the gradient exchange in bf16:
#   tests/bench/precision_accuracy.sh [MODEL [EPOCHS [RANKS [VARIANT ...]]]]
#   tests/bench/precision_accuracy.sh cnn 5 2 "--grad-dtype fp32" "--grad-dtype bf16"
# Not a timed benchmark; it lives here because it trains full models (about 5 minutes for the
# CNN on 2 cores, per two variants). Prints one JSON line per run and a summary per variant.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../launch/env.sh"
cd "$TANDEM_ROOT"
model=${1:-cnn} epochs=${2:-5} ranks=${3:-2}
shift $(($# < 3 ? $# : 3))
variants=("$@")
[ ${#variants[@]} -gt 0 ] || variants=("--precision fp32" "--precision bf16")
data=datasets/fashion-mnist.h5
[ -x "$TANDEM_BUILD/tandem" ] || { tandem_install_packages; tandem_build OFF; }
[ -f "$data" ] || "$TANDEM_BUILD/tandem" convert idx --dir /usr/share/datasets/fashion-mnist --out "$data"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for variant in "${variants[@]}"; do
  accs=()
  for seed in 1 2 3; do
    # shellcheck disable=SC2086  # a variant is several options
    mpirun -np "$ranks" "$TANDEM_BUILD/tandem" train --data "$data" --model "launch/models/$model.model" \
      --epochs "$epochs" --batch-size 128 --lr 0.05 --optimizer momentum --threads 1 --seed "$seed" \
      $variant --out "$tmp/run-$seed" > "$tmp/log" 2>&1
    acc=$(sed -n 's/^final test accuracy \([0-9.]*\).*/\1/p' "$tmp/log")
    accs+=("$acc")
    printf '{"model": "%s", "variant": "%s", "seed": %d, "epochs": %d, "test_accuracy": %s}\n' \
      "$model" "$variant" "$seed" "$epochs" "$acc"
    rm -rf "$tmp/run-$seed"
  done
  printf '%s\n' "${accs[@]}" | awk -v p="$variant" -v m="$model" \
    '{ s += $1; v[NR] = $1 } END { printf "{\"model\": \"%s\", \"variant\": \"%s\", \"mean_test_accuracy\": %.4f}\n", m, p, s / NR }'
done
