#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to the whole test suite: installs the
# dependencies, checks the formatting (clang-format, .clang-format), builds tandem with its
# tests (warnings as errors), and runs CTest (unit, MPI under 2, 3 and 4 ranks, the CLI
# integration topics, the installed package, the layout checks, and a Slurm job submitted to
# a one-node Slurm started on this machine). Safe to re-run.
# Extra arguments go to ctest (e.g. -L unit, -R mpi, -j2).
#
# launch/test.sh --sanitize [CTEST ARGS]: the same tests (labels unit, mpi, integration) built
# with AddressSanitizer and UndefinedBehaviorSanitizer in build-asan. --sanitize=thread:
# ThreadSanitizer in build-tsan, on the parts of tandem that run threads of their own (the
# prefetcher's unit tests, the MPI test harness and its watchdog, a streamed training with
# --prefetch under mpirun). A finding fails the run (README "Sanitizers"; tests/sanitize/).
set -euo pipefail
sanitize=""
case "${1:-}" in
  --sanitize | --sanitize=address,undefined) sanitize=address,undefined; shift ;;
  --sanitize=thread) sanitize=thread; shift ;;
  --sanitize=*) echo "launch/test.sh: --sanitize takes address,undefined (the default) or thread"; exit 2 ;;
esac
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export TANDEM_WERROR=ON
case $sanitize in
  "") export TANDEM_BUILD=${TANDEM_BUILD:-$root/build-test} ;;
  thread)  # only what tests/sanitize/tsan_run.sh runs
    export TANDEM_BUILD=$root/build-tsan TANDEM_SANITIZE=thread
    export TANDEM_BUILD_TARGETS="tandem unit_tests mpi_tests mpi_harness_selftest sanitize_planted" ;;
  *) export TANDEM_BUILD=$root/build-asan TANDEM_SANITIZE=$sanitize ;;
esac
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$TANDEM_ROOT"

# Slurm and munge for the test that submits launch/slurm/train.sbatch to a local Slurm;
# jq for the integration tests, which read tandem's JSON output with it; clang-format (14,
# Debian 12's) for the formatting check; sshd, ssh and iproute2 for the two-node test
# (tests/nodes/two_node_test.sh: two network namespaces joined by a veth pair, sshd in each).
tandem_install_packages slurmctld slurmd slurm-client munge jq clang-format openssh-server openssh-client iproute2 tmux
if [ -z "$sanitize" ]; then
  tandem_check_format
  tandem_build ON
  cd "$TANDEM_BUILD"
  ctest --output-on-failure --timeout 900 "$@"
  # Fuzz smoke (opt-in; README "Fuzzing"): TANDEM_FUZZ_SMOKE=SECONDS runs every libFuzzer target
  # of tests/fuzz for SECONDS after the suite (tests/fuzz/run.sh: clang-14 in its own build
  # directory build-fuzz, 3-4 CPU minutes to build the first time; off by default, as that
  # build would not fit CI's time).
  if [ -n "${TANDEM_FUZZ_SMOKE:-}" ]; then "$TANDEM_ROOT/tests/fuzz/run.sh" "$TANDEM_FUZZ_SMOKE"; fi
  exit 0
fi

tandem_build ON
source "$TANDEM_ROOT/tests/sanitize/env.sh" "$TANDEM_BUILD"
rm -rf "${tandem_sanitize_reports:?}"/*
cd "$TANDEM_BUILD"
status=0
if [ "$sanitize" = thread ]; then
  bash "$TANDEM_ROOT/tests/sanitize/tsan_run.sh" "$TANDEM_BUILD" "$TANDEM_ROOT" "$@" || status=$?
else
  # The layout checks read files only: nothing of tandem's code runs in them.
  ctest --output-on-failure --timeout 1800 -L 'unit|mpi|integration' "$@" || status=$?
fi
tandem_sanitizer_reports || status=1
exit $status
