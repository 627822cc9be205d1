#!/usr/bin/env bash
# Train on one machine with RANKS ranks x THREADS BLAS threads each.
#   launch/mpirun.sh RANKS THREADS [tandem train options...]
# Each rank is bound to THREADS cores (--map-by slot:PE=THREADS): its BLAS threads stay on
# its own cores and never compete with another rank's. RANKS x THREADS should not exceed
# the number of cores; beyond it ranks share cores (--oversubscribe) and slow down.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
ranks=${1:?usage: launch/mpirun.sh RANKS THREADS [tandem train options]}
threads=${2:?usage: launch/mpirun.sh RANKS THREADS [tandem train options]}
shift 2
[ -x "$TANDEM_BUILD/tandem" ] || { tandem_install_packages; tandem_build OFF; }
bind=(--map-by "slot:PE=$threads" --bind-to core)
if [ $((ranks * threads)) -gt "$(nproc)" ]; then bind=(--oversubscribe --bind-to none); fi
tandem_progress_args "$@"
exec mpirun -np "$ranks" "${bind[@]}" "$TANDEM_BUILD/tandem" train --threads "$threads" "${TANDEM_PROGRESS[@]}" "$@"
