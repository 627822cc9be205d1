#!/usr/bin/env bash
# Runs one test of harness_selftest (tests that fail on purpose) under mpiexec -n 2 and
# checks what the MPI test harness (tests/mpi/mpi_main.cpp) makes of it: the job must end
# (not hang; `timeout` catches a hang), exit non-zero, and its output must name the rank.
#   harness_selftest.sh MPIEXEC SELFTEST_BINARY SCENARIO   (fatal | nonfatal | stuck)
set -u
mpiexec=$1 binary=$2 scenario=$3
source "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"

run_selftest() {  # FILTER: runs that test, leaving its output in $out and exit code in $rc
  local start=$SECONDS
  out=$(timeout 60 "$mpiexec" -n 2 --oversubscribe "$binary" --gtest_color=no --gtest_filter="$1" 2>&1)
  rc=$?
  echo "$out"
  echo "--- exit code $rc after $((SECONDS - start)) s"
}
has() { grep -qF -- "$1" <<< "$out"; }

case $scenario in
  fatal)
    # The watchdog is set far beyond `timeout`: only the fatal-failure path can end this job.
    TANDEM_MPI_TEST_TIMEOUT=600 run_selftest 'HarnessSelfTest.FatalFailureOnRank1BeforeACollective'
    check "the job ended (no hang)" test "$rc" -ne 124
    check "exit code non-zero" test "$rc" -ne 0
    check "rank 1's failed assertion printed with its rank" \
      grep -qE '^\[rank 1\] .*harness_selftest\.cpp:[0-9]+: Failure \(fatal\) in HarnessSelfTest\.FatalFailureOnRank1BeforeACollective' <<< "$out"
    check "the assertion's message printed" has "[rank 1] rank 1's deliberate fatal failure"
    check "the job ended by rank 1's abort" \
      has "[rank 1] fatal failure in HarnessSelfTest.FatalFailureOnRank1BeforeACollective: ending the job"
    check "not by the watchdog" not has "stuck in"
    check "rank 0 did not fail" not has "[rank 0] "
    ;;
  nonfatal)
    run_selftest 'HarnessSelfTest.NonFatalFailureOnRank1FailsTheTestOnEveryRank'
    check "the job ended (no hang)" test "$rc" -ne 124
    check "exit code non-zero" test "$rc" -ne 0
    check "rank 1's failed expectation printed with its rank" \
      grep -qE '^\[rank 1\] .*harness_selftest\.cpp:[0-9]+: Failure in HarnessSelfTest\.NonFatal' <<< "$out"
    check "the expectation's message printed" has "[rank 1] rank 1's deliberate non-fatal failure"
    check "rank 0 fails the test too, naming rank 1" \
      has "[rank 0] HarnessSelfTest.NonFatalFailureOnRank1FailsTheTestOnEveryRank failed on rank(s) 1"
    check "rank 0's summary lists the test as failed" \
      has "[  FAILED  ] HarnessSelfTest.NonFatalFailureOnRank1FailsTheTestOnEveryRank"
    check "no abort: every rank reached the end" not has "MPI_ABORT"
    ;;
  stuck)
    TANDEM_MPI_TEST_TIMEOUT=5 run_selftest 'HarnessSelfTest.Rank0StuckInACollectiveIsNamed'
    check "the job ended (no hang)" test "$rc" -ne 124
    check "exit code non-zero" test "$rc" -ne 0
    check "the watchdog names rank 0 and the test" \
      has "[rank 0] rank 0 stuck in HarnessSelfTest.Rank0StuckInACollectiveIsNamed (in the test) after 5 s"
    check "no failed assertion was involved" not grep -q "Failure" <<< "$out"
    ;;
  *)
    echo "unknown scenario '$scenario'"
    exit 2
    ;;
esac
finish
