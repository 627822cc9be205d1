#!/usr/bin/env bash
# Streaming against memory mode (README "Data modes"): Fashion-MNIST repacked contiguous (the
# layout streaming reads directly; the file stays in the page cache), the MLP and the CNN on 1
# rank, the modes' runs interleaved (memory stream memory stream ...). Samples/s of a run is
# the median of its epochs after the first; a row's figure is the median over the repeats.
#   tests/bench/data_modes.sh [--repeats N]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../launch/env.sh"
cd "$TANDEM_ROOT"
repeats=3
[ "${1:-}" = --repeats ] && repeats=$2
[ -x "$TANDEM_BUILD/tandem" ] || { tandem_install_packages; tandem_build OFF; }
data=datasets/fashion-mnist.h5
[ -f "$data" ] || "$TANDEM_BUILD/tandem" convert idx --dir /usr/share/datasets/fashion-mnist --out "$data"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
h5repack -f NONE -l CONTI "$data" "$tmp/contiguous.h5"
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# run MODEL MODE EPOCHS LIMIT: "samples/s peak-MiB" of one run.
run() {
  OPENBLAS_NUM_THREADS=1 mpirun -np 1 --bind-to core "$TANDEM_BUILD/tandem" train --data "$tmp/contiguous.h5" \
    --model "launch/models/$1.model" --data-mode "$2" --epochs "$3" --train-limit "$4" --batch-size 128 \
    --threads 1 --test-limit 1000 > "$tmp/log" 2>&1
  echo "$(grep '^epoch' "$tmp/log" | tail -n +2 | sed 's/.* \([0-9]*\) samples\/s.*/\1/' | median)" \
    "$(sed -n 's/^peak resident memory \([0-9.]*\) MiB.*/\1/p' "$tmp/log")"
}

for config in "mlp 4 0" "cnn 3 12800"; do
  read -r model epochs limit <<< "$config"
  : > "$tmp/memory"; : > "$tmp/stream"
  for ((r = 0; r < repeats; r++)); do
    for mode in memory stream; do run "$model" "$mode" "$epochs" "$limit" >> "$tmp/$mode"; done
  done
  for mode in memory stream; do
    printf '{"model": "%s", "data_mode": "%s", "samples_per_s": %s, "runs": [%s], "peak_rss_mib": %s}\n' \
      "$model" "$mode" "$(cut -d' ' -f1 "$tmp/$mode" | median)" "$(cut -d' ' -f1 "$tmp/$mode" | paste -sd,)" \
      "$(cut -d' ' -f2 "$tmp/$mode" | sort -g | tail -1)"
  done
done
