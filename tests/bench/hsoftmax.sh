#!/usr/bin/env bash
# Training throughput of the hierarchical softmax against the full softmax at 1,000, 10,000
# and 100,000 classes (README "Hierarchical softmax"), on synthetic data made by
#   build/tests/make_synthetic OUT.h5 ROWS 1 16 16 CLASSES
# (16x16 images whose class sets the mean of a band of pixels; labels spread over all classes).
# Model: flatten, dense 256, relu, then either dense C (softmax cross-entropy) or
# loss hierarchical_softmax (tree=balanced and tree=huffman). One rank, one thread each, so
# that the two are compared on the same cores.
#   tests/bench/hsoftmax.sh [--repeats N] [--classes "1000 10000 100000"] [--batch-size 128] [--rows N]
# (--rows: training rows of every dataset; by default 8192, and 2048 at 100,000 classes)
# Prints one JSON line per (classes, output layer): samples/s is the median over the epochs
# after the first (warm-up) of a run, then the median over the repeats; the runs of the three
# layers are interleaved, so the machine's drift hits each alike.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../launch/env.sh"
cd "$TANDEM_ROOT"
repeats=3 classes_list="1000 10000 100000" batch=128 rows_option=0
while [ $# -gt 0 ]; do
  case $1 in
    --repeats) repeats=$2; shift ;;
    --classes) classes_list=$2; shift ;;
    --batch-size) batch=$2; shift ;;
    --rows) rows_option=$2; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[ -x "$TANDEM_BUILD/tandem" ] && [ -x "$TANDEM_BUILD/tests/make_synthetic" ] || { echo "build tandem with tests first" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# run_once DATA MODEL ROWS SEED: the median samples/s over the epochs after the first.
run_once() {
  OPENBLAS_NUM_THREADS=1 "$TANDEM_BUILD/tandem" train --data "$1" --model "$2" --epochs 3 --batch-size "$batch" \
    --lr 0.05 --optimizer momentum --threads 1 --train-limit "$3" --test-limit 64 --seed "$4" \
    --out "$tmp/run" > "$tmp/log" 2>&1 || { cat "$tmp/log" >&2; exit 1; }
  grep '^epoch' "$tmp/log" | tail -n +2 | sed 's/.* \([0-9]*\) samples\/s.*/\1/' | median
}

layers=(softmax balanced huffman)
for classes in $classes_list; do
  # Fewer rows where the full softmax is slow: each epoch takes seconds, not minutes.
  rows=$((classes >= 100000 ? 2048 : 8192))
  [ "$rows_option" -gt 0 ] && rows=$rows_option
  data="$tmp/data_$classes.h5"
  "$TANDEM_BUILD/tests/make_synthetic" "$data" "$rows" 1 16 16 "$classes"
  printf 'input 1 16 16\nflatten\ndense 256\nrelu\ndense %d\n' "$classes" > "$tmp/softmax.model"
  for tree in balanced huffman; do
    printf 'input 1 16 16\nflatten\ndense 256\nrelu\nloss hierarchical_softmax tree=%s\n' "$tree" > "$tmp/$tree.model"
  done
  for l in "${layers[@]}"; do : > "$tmp/runs_$l"; done
  for ((r = 0; r < repeats; r++)); do
    for l in "${layers[@]}"; do run_once "$data" "$tmp/$l.model" "$rows" "$r" >> "$tmp/runs_$l"; done
  done
  for l in "${layers[@]}"; do
    printf '{"classes": %d, "output": "%s", "batch": %d, "train_rows": %d, "samples_per_s": %s, "runs": [%s]}\n' \
      "$classes" "$l" "$batch" "$rows" "$(median < "$tmp/runs_$l")" "$(paste -sd, "$tmp/runs_$l")"
  done
  rm -f "$data"
done
