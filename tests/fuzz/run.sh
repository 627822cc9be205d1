#!/usr/bin/env bash
# Runs the libFuzzer targets (README "Fuzzing"), each for SECONDS, one after the other:
#
#   tests/fuzz/run.sh SECONDS [TARGET ...]     targets: spec ini csv npy idx dataset checkpoint, and
#                                              dataset_raw when named
#
# Installs clang-14 and libFuzzer if missing, configures and builds build-fuzz (clang,
# -DTANDEM_FUZZ=ON: ASan + UBSan + coverage; $TANDEM_FUZZ_BUILD overrides the directory), then
# fuzzes each target into a scratch copy of its seeds (the checked-in corpus tests/fuzz/corpus/
# TARGET is read, never grown). Prints executions, seconds and executions per second per target;
# exits 1 if any target found a crash, a sanitizer report, a hang (-timeout=10), a leak or an
# out-of-memory, naming the reproducer (re-run it: build-fuzz/tests/fuzz/TARGET_fuzz FILE).
# TANDEM_FUZZ_RUNS=N stops a target after N executions, if that comes before SECONDS.
# TANDEM_FUZZ_TIMEOUT=S: seconds one input may take before it counts as a hang (default 10; on
# a machine loaded by other jobs a descheduled process can pass 10 s on an input that runs in
# 0.1 s). TANDEM_FUZZ_CONTINUE=1 starts from the scratch corpus the previous run grew instead of
# the seeds alone, to continue a run that was stopped.
# TANDEM_FUZZ_FORK=1 fuzzes in libFuzzer's fork mode: a crash, hang or out-of-memory is saved
# and fuzzing goes on (for SECONDS; TANDEM_FUZZ_RUNS does not apply). Afterwards triage.sh
# replays every saved input and tells tandem's findings (which fail the run) from libhdf5's.
# This is how dataset_raw reaches a million executions although libhdf5 crashes on some of
# its inputs within seconds.
set -euo pipefail
seconds=${1:?usage: tests/fuzz/run.sh SECONDS [TARGET ...]}
shift
all_targets=(spec ini csv npy idx dataset dataset_raw checkpoint)
# dataset_raw runs when named only: libhdf5 itself crashes on some damaged files within
# seconds (tests/fuzz/libhdf5-crashes/, README "Fuzzing"), which is not tandem's to fix.
default_targets=(spec ini csv npy idx dataset checkpoint)
targets=("${@:-${default_targets[@]}}")
export TANDEM_BUILD=${TANDEM_FUZZ_BUILD:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build-fuzz}
source "$(dirname "${BASH_SOURCE[0]}")/../../launch/env.sh"
fuzz_dir=$TANDEM_ROOT/tests/fuzz

tandem_install_packages clang-14 libfuzzer-14-dev libclang-rt-14-dev libomp-14-dev
if [ ! -f "$TANDEM_BUILD/CMakeCache.txt" ]; then
  mkdir -p "$TANDEM_BUILD"
  CC=clang-14 CXX=clang++-14 cmake -S "$TANDEM_ROOT" -B "$TANDEM_BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DTANDEM_FUZZ=ON -DTANDEM_BUILD_TESTS=OFF > "$TANDEM_BUILD/cmake.log" 2>&1 ||
    { cat "$TANDEM_BUILD/cmake.log"; exit 1; }
fi
cmake --build "$TANDEM_BUILD" --target fuzz_targets -j "$(nproc)"
# Sanitizer reports end the run with a stack; scratch files of the targets go to a tmpfs. A
# 16 MB quarantine and 4-frame allocation stacks make the HDF5 targets 1.5x faster.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:quarantine_size_mb=16:malloc_context_size=4}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$fuzz_dir/lsan.supp}
export TANDEM_FUZZ_DIR=${TANDEM_FUZZ_DIR:-/dev/shm}
# What fuzzing found so far, under the same sanitizers, first.
"$TANDEM_BUILD/tests/fuzz/fuzz_regression_tests" --gtest_brief=1

runs=$TANDEM_BUILD/fuzz-runs
mkdir -p "$runs"
failed=0
printf '%-12s %12s %8s %10s  %s\n' target executions seconds exec/s result
for t in "${targets[@]}"; do
  bin=$TANDEM_BUILD/tests/fuzz/${t}_fuzz
  [ -x "$bin" ] || { echo "unknown target '$t' (targets: ${all_targets[*]})"; exit 2; }
  scratch=$runs/$t-corpus
  [ "${TANDEM_FUZZ_CONTINUE:-0}" = 1 ] || rm -rf "$scratch"
  rm -rf "$runs/$t"-crash-* "$runs/$t"-timeout-* "$runs/$t"-leak-* "$runs/$t"-oom-*
  mkdir -p "$scratch"
  extra=()
  [ -f "$fuzz_dir/$t.dict" ] && extra=(-dict="$fuzz_dir/$t.dict")
  fork=${TANDEM_FUZZ_FORK:-0}
  if [ "$fork" = 1 ]; then
    extra+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
  elif [ -n "${TANDEM_FUZZ_RUNS:-}" ]; then
    extra+=(-runs="$TANDEM_FUZZ_RUNS")
  fi
  start=$(date +%s%N)
  rc=0
  "$bin" -max_total_time="$seconds" -timeout="${TANDEM_FUZZ_TIMEOUT:-10}" -rss_limit_mb=2048 -malloc_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$runs/$t-" "${extra[@]}" "$scratch" "$fuzz_dir/corpus/$t" > "$runs/$t.log" 2>&1 || rc=$?
  elapsed=$(awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
  if [ "$fork" = 1 ]; then  # the fork-mode parent counts executions on its status lines (#N: ...)
    units=$(sed -nE 's/^#([0-9]+): cov:.*/\1/p' "$runs/$t.log" | tail -1)
  else
    units=$(sed -n 's/^stat::number_of_executed_units: *//p' "$runs/$t.log" | tail -1)
  fi
  units=${units:-0}
  rate=$(awk -v u="$units" -v s="$elapsed" 'BEGIN { printf "%d", (s > 0 ? u / s : 0) }')
  result=ok
  if [ "$fork" = 1 ]; then
    artifacts=()
    for a in "$runs/$t"-{crash,timeout,leak,oom,slow-unit}-*; do [ -e "$a" ] && artifacts+=("$a"); done
    result="ok, nothing saved"
    if [ "$units" -eq 0 ]; then
      failed=1
      result="FAILED (exit $rc): no executions counted; log $runs/$t.log"
    elif [ "${#artifacts[@]}" -gt 0 ]; then
      if "$fuzz_dir/triage.sh" "$bin" "${TANDEM_FUZZ_TIMEOUT:-10}" "${artifacts[@]}" > "$runs/$t-triage.txt" 2>&1; then
        result="ok: ${#artifacts[@]} input(s) saved, none tandem's (libhdf5's or load; $runs/$t-triage.txt)"
      else
        failed=1
        result="FAILED: tandem's findings among ${#artifacts[@]} saved input(s): $runs/$t-triage.txt"
      fi
    fi
  elif [ "$rc" -ne 0 ]; then
    failed=1
    artifact=$(ls "$runs/$t"-{crash,timeout,leak,oom,slow-unit}-* 2> /dev/null | head -1 || true)
    result="FAILED (exit $rc): reproducer ${artifact:-none written}; log $runs/$t.log"
  fi
  printf '%-12s %12s %8.0f %10s  %s\n' "$t" "$units" "$elapsed" "$rate" "$result"
done
exit $failed
