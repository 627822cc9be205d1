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
# Debian 12's) for the formatting check; sshd, ssh and iproute2 for the two-node test
# (tests/nodes/two_node_test.sh: two network namespaces joined by a veth pair, sshd in each).
tandem_install_packages slurmctld slurmd slurm-client munge jq clang-format openssh-server openssh-client iproute2
tandem_check_format
tandem_build ON
cd "$TANDEM_BUILD"
ctest --output-on-failure --timeout 900 "$@"
