#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to the whole test suite: installs the
# dependencies, checks the formatting (clang-format, .clang-format), builds tandem with its
# tests (warnings as errors), and runs CTest (unit, MPI under 2, 3 and 4 ranks, the CLI
# integration topics, the installed package, the layout checks, and a Slurm job submitted to
# a one-node Slurm started on this machine). Safe to re-run.
# Extra arguments go to ctest (e.g. -L unit, -R mpi, -j2).
set -euo pipefail
export TANDEM_WERROR=ON
export TANDEM_BUILD=${TANDEM_BUILD:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build-test}
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$TANDEM_ROOT"

# Slurm and munge for the test that submits launch/slurm/train.sbatch to a local Slurm;
# jq for the integration tests, which read tandem's JSON output with it; clang-format (14,
# Debian 12's) for the formatting check.
tandem_install_packages slurmctld slurmd slurm-client munge jq clang-format
tandem_check_format
tandem_build ON
cd "$TANDEM_BUILD"
ctest --output-on-failure --timeout 900 "$@"

# --- fuzz smoke (opt-in; README "Fuzzing") ---------------------------------------------------
# TANDEM_FUZZ_SMOKE=SECONDS: after the suite, every libFuzzer target of tests/fuzz for SECONDS
# (tests/fuzz/run.sh: clang-14, its own build directory build-fuzz, which takes 3-4 CPU
# minutes to build the first time). Off by default: that build would more than double CI's time.
if [ -n "${TANDEM_FUZZ_SMOKE:-}" ]; then
  "$TANDEM_ROOT/tests/fuzz/run.sh" "$TANDEM_FUZZ_SMOKE"
fi
