#!/usr/bin/env bash
# The body of the Slurm batch scripts (train.sbatch, sweep.sbatch), which exec it so that the
# signals Slurm sends the batch script reach it:  run_tandem.sh COMMAND [tandem options]
# One MPI rank per task, --cpus-per-task BLAS threads per rank; mpirun reads the allocation
# from Slurm (Open MPI's Slurm support launches its daemons with srun), places R ranks per
# node and binds each to its T cores. Network and transport settings (OMPI_MCA_*) are the
# site's: this script sets none.
set -euo pipefail
command=$1
shift
TANDEM=${TANDEM:-${SLURM_SUBMIT_DIR:-.}/build/tandem}
[ -x "$TANDEM" ] || { echo "tandem binary '$TANDEM' not found; build it or set TANDEM" >&2; exit 2; }
threads=${SLURM_CPUS_PER_TASK:-1}
export OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
echo "Slurm job ${SLURM_JOB_ID:-?}: ${SLURM_JOB_NUM_NODES:-1} node(s) x ${SLURM_NTASKS_PER_NODE:-?} rank(s) x $threads thread(s): tandem $command"
mpirun --map-by "ppr:${SLURM_NTASKS_PER_NODE:-1}:node:PE=$threads" --bind-to core \
  "$TANDEM" "$command" --threads "$threads" "$@" &
mpirun_pid=$!
# USR1 (Slurm, before the time limit) or TERM: passed to mpirun, which passes it to every rank:
# tandem writes a checkpoint and stops cleanly.
trap 'kill -USR1 "$mpirun_pid"' USR1 TERM
status=0
wait "$mpirun_pid" || status=$?
# A trapped signal ends `wait` early while mpirun still writes its checkpoint: wait again.
while kill -0 "$mpirun_pid" 2> /dev/null; do
  status=0
  wait "$mpirun_pid" || status=$?
done
exit "$status"
