#!/usr/bin/env bash
# tsan_run.sh BUILD SOURCE [GTEST ARGS]: the ThreadSanitizer suite (launch/test.sh
# --sanitize=thread, BUILD built with TANDEM_SANITIZE=thread). It checks that a planted data
# race is caught (armed_test.sh), then runs what starts threads of tandem's own (every
# std::thread in src/ and tests/):
#  1. the prefetcher (src/train/prefetch.cpp) and streaming unit tests, repeated, the
#     rank-agreement unit tests of dist/sync, whose ranks are threads (ThreadComm), and the
#     watcher thread of the guards on libhdf5 calls (src/core/call_guard.cpp) with the tests
#     that arm those guards on damaged files;
#  2. the MPI test harness (tests/mpi/mpi_main.cpp, its watchdog thread armed in every test):
#     the MPI suite on 2 ranks, and its self-test of a stuck rank, which the watchdog ends;
#  3. `tandem train --data-mode stream --prefetch 2` on 2 ranks (the trainer's prefetch
#     thread), checked to train.
# OpenMP and OpenBLAS run with one thread (OMP_NUM_THREADS, OPENBLAS_NUM_THREADS): their
# worker threads live in uninstrumented libraries (libgomp, libopenblas) whose
# synchronization ThreadSanitizer cannot see, and tandem starts none of them itself.
# Findings fail the step (halt_on_error, exit code 86; tests/sanitize/env.sh).
set -uo pipefail
build=$1 src=$2
shift 2
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 GTEST_COLOR=no
failed=0
step() {
  local what=$1
  shift
  echo "== tsan: $what"
  local t0=$SECONDS
  if "$@"; then
    echo "== tsan: $what: passed ($((SECONDS - t0)) s)"
  else
    echo "== tsan: $what: FAILED (exit $?)"
    failed=$((failed + 1))
  fi
}

step "a planted data race is caught (tests/sanitize/armed_test.sh)" \
  bash "$src/tests/sanitize/armed_test.sh" "$build/tests/sanitize_planted" mpirun thread
# Death tests fork: in the threadsafe style the child re-executes the test binary, since
# ThreadSanitizer does not let a forked child of a threaded process start threads. The crash
# test is left to the other builds: a memory fault is ThreadSanitizer's to report here.
step "prefetcher, streaming, ThreadComm and call guard unit tests (x20)" "$build/tests/unit_tests" \
  --gtest_filter='Prefetch*:Stream*:RequireSame*:CallGuard*:FuzzRegressionsH5*-CallGuard.ACallThatCrashes*' \
  --gtest_death_test_style=threadsafe --gtest_repeat=20 --gtest_brief=1 "$@"
step "MPI suite on 2 ranks (the harness and its watchdog)" \
  mpirun -np 2 --oversubscribe "$build/tests/mpi_tests" --gtest_brief=1 "$@"
step "MPI harness self-test: the watchdog ends a stuck rank" \
  bash "$src/tests/mpi/harness_selftest.sh" mpirun "$build/tests/mpi_harness_selftest" stuck

# A streamed training with the prefetch thread on 2 ranks, on a small dataset.
work=$build/tests/tsan
rm -rf "$work"
mkdir -p "$work"
train() {
  "$build/tandem" convert idx --dir /usr/share/datasets/fashion-mnist --out "$work/fm.h5" > "$work/convert.log" 2>&1 ||
    { cat "$work/convert.log"; return 1; }
  mpirun -np 2 --oversubscribe "$build/tandem" train --data "$work/fm.h5" --model "$src/launch/models/mlp.model" \
    --epochs 2 --batch-size 64 --train-limit 2000 --test-limit 500 --threads 1 --data-mode stream --prefetch 2 \
    --out "$work/run" > "$work/train.log" 2>&1 || { cat "$work/train.log"; return 1; }
  grep -E "prefetched|accuracy" "$work/train.log" | tail -n 3
  # Every training batch came from the prefetch thread (else it would not have been tested).
  grep -Eq "prefetched ([0-9]+) of \1 training micro-batches" "$work/train.log" ||
    { echo "not every batch was prefetched"; cat "$work/train.log"; return 1; }
}
step "mpirun -np 2 tandem train --data-mode stream --prefetch 2" train
echo "== tsan: $failed step(s) failed"
[ "$failed" -eq 0 ]
