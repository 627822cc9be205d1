#!/usr/bin/env bash
# Streaming a dataset far larger than the memory a rank may use (README "Data modes"): a
# synthetic 3x32x32 uint8 dataset of G GB (default 6, written contiguous by make_synthetic),
# and one a sixth of its size, each trained on 2 ranks for the same number of steps with the
# default --data-mode auto (which streams both: they exceed --data-memory-mb 512 given here);
# the smaller one also in memory, a copy per rank and one per node (--data-cache node). Peak
# resident memory per rank, the ranks' memory together at the end (PSS), and samples/s end to end
# (steps x 256 over the whole command's time: start-up, loading and the test pass included).
#   tests/bench/large_data.sh [--gb G] [--steps S]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../launch/env.sh"
cd "$TANDEM_ROOT"
gb=6 steps=400
while [ $# -gt 0 ]; do
  case $1 in
    --gb) gb=$2; shift ;;
    --steps) steps=$2; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[ -x "$TANDEM_BUILD/tandem" ] && [ -x "$TANDEM_BUILD/tests/make_synthetic" ] || { tandem_install_packages; tandem_build ON; }
tmp=$(mktemp -d -p "${TANDEM_BENCH_DIR:-/tmp}")
trap 'rm -rf "$tmp"' EXIT
rows=$((gb * 1000000000 / 3072))
"$TANDEM_BUILD/tests/make_synthetic" "$tmp/large.h5" "$rows"
"$TANDEM_BUILD/tests/make_synthetic" "$tmp/small.h5" $((rows / 6))
printf 'input 3 32 32\nflatten\ndense 256\nrelu\ndense 10\nloss softmax_cross_entropy\n' > "$tmp/mlp.model"

# run FILE MODE [CACHE]: one JSON line.
run() {
  local file=$1 mode=$2 cache=${3:-rank} t0 t1
  t0=$(date +%s.%N)
  mpirun -np 2 --bind-to core "$TANDEM_BUILD/tandem" train --data "$tmp/$file.h5" --model "$tmp/mlp.model" \
    --batch-size 256 --epochs 1 --max-steps "$steps" --threads 1 --data-mode "$mode" --data-memory-mb 512 \
    --data-cache "$cache" \
    --checkpoint-every 0 --out "$tmp/run" > "$tmp/log" 2>&1
  t1=$(date +%s.%N)
  printf '{"file": "%s", "gb": %s, "rows": %s, "data_mode": "%s", "data_cache": "%s", "streamed": %s, "steps": %s, "end_to_end_samples_per_s": %.0f, "peak_rss_mib_per_rank": %s, "pss_mib_all_ranks": %s}\n' \
    "$file" "$(du -BG --apparent-size "$tmp/$file.h5" | cut -f1 | tr -d G)" \
    "$( [ "$file" = large ] && echo "$rows" || echo $((rows / 6)))" "$mode" "$cache" \
    "$(grep -q 'streaming the inputs of /train' "$tmp/log" && echo true || echo false)" "$steps" \
    "$(awk -v s="$steps" -v a="$t0" -v b="$t1" 'BEGIN { print s * 256 / (b - a) }')" \
    "$(sed -n 's/^peak resident memory \([0-9.]*\) MiB.*/\1/p' "$tmp/log")" \
    "$(sed -n 's/^memory of all ranks together now (PSS) \([0-9.]*\) MiB.*/\1/p' "$tmp/log")"
}
run large auto
run small auto
run small memory
run small memory node
