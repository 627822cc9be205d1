#!/usr/bin/env bash
# Submits launch/slurm/train.sbatch to a real one-node Slurm started on this machine:
# munged, slurmctld and slurmd from Debian's slurm-wlm, with a private configuration, state
# and ports in a temporary directory. Checks the job completed, ran 2 ranks and trained.
#   slurm_test.sh TANDEM_BINARY SOURCE_DIR
set -euo pipefail
tandem=$1 src=$2
for tool in munged slurmctld slurmd sbatch squeue sacct scontrol; do
  command -v "$tool" > /dev/null || { echo "FAIL: $tool not installed (launch/test.sh installs slurm-wlm)"; exit 1; }
done
dir=$(mktemp -d /tmp/tandem_slurm.XXXXXX)
chmod 755 "$dir"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  wait 2> /dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  for f in "$dir"/*.log "$dir"/job-*.out; do [ -f "$f" ] && { echo "--- $f"; tail -30 "$f"; }; done
  exit 1
}

# munge: our own daemon and socket, with the key the package generated (or a fresh one).
mkdir -p "$dir/munge"
key=/etc/munge/munge.key
[ -r "$key" ] || { key=$dir/munge/munge.key; dd if=/dev/urandom of="$key" bs=1 count=128 2> /dev/null; }
cp "$key" "$dir/munge/munge.key"
chmod 700 "$dir/munge"
chmod 400 "$dir/munge/munge.key"
munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
  --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge.log" --seed-file="$dir/munge/seed" ||
  fail "munged did not start"
pids+=("$(cat "$dir/munge/munged.pid")")

# Ports for slurmctld and slurmd, random so that a concurrent run or a real Slurm is left alone.
ctld_port=$((20000 + RANDOM % 20000))
slurmd_port=$((ctld_port + 1))
host=$(hostname -s)
cpus=$(nproc)
mkdir -p "$dir/state" "$dir/spool"
cat > "$dir/slurm.conf" << CONF
ClusterName=tandemtest
SlurmctldHost=$host
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
NodeName=$host CPUs=$cpus RealMemory=1000 State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF
export SLURM_CONF=$dir/slurm.conf
slurmctld -D -i > "$dir/slurmctld.stdout.log" 2>&1 &
pids+=($!)
slurmd -D -N "$host" > "$dir/slurmd.stdout.log" 2>&1 &
pids+=($!)
for _ in $(seq 60); do
  sinfo -h -o %T 2> /dev/null | grep -Eq '^(idle|mixed)' && break
  sleep 1
done
sinfo -h -o %T 2> /dev/null | grep -Eq '^(idle|mixed)' || fail "the Slurm node did not become idle"

"$tandem" convert idx --dir /usr/share/datasets/fashion-mnist --out "$dir/fm.h5" > /dev/null
# Open MPI on this machine: root, loopback (a cluster's site settings would come instead).
set -a
. "$src/launch/openmpi.env"
set +a
export TANDEM="$tandem" TANDEM_ROOT="$src"  # the binary, and the checkout holding launch/slurm/run_tandem.sh
job=$(sbatch --parsable --wait --chdir="$dir" --output="$dir/job-%j.out" --nodes=1 --ntasks-per-node=2 \
  --cpus-per-task=1 --time=5 "$src/launch/slurm/train.sbatch" --data "$dir/fm.h5" \
  --model "$src/launch/models/mlp.model" --epochs 2 --train-limit 4000 --test-limit 1000 --out "$dir/run") ||
  fail "sbatch --wait reported failure"
out=$dir/job-$job.out
[ -f "$out" ] || fail "no job output $out"
grep -q "2 rank(s)" "$out" || fail "the job did not run 2 ranks"
grep -q "^final test accuracy" "$out" || fail "the job did not finish training"
[ -f "$dir/run/final.h5" ] || fail "no final.h5"
state=$(scontrol show job "$job" | sed -n 's/.*JobState=\([A-Z]*\).*/\1/p')
[ "$state" = COMPLETED ] || fail "job $job ended $state"
cat "$out"
echo "PASS: Slurm job $job COMPLETED"

# Preemption: USR1 to the batch script (what #SBATCH --signal=B:USR1@120 sends before the
# time limit) must end in a checkpoint and a COMPLETED job, not a killed one.
job=$(sbatch --parsable --chdir="$dir" --output="$dir/job-%j.out" --nodes=1 --ntasks-per-node=2 \
  --cpus-per-task=1 --time=5 "$src/launch/slurm/train.sbatch" --data "$dir/fm.h5" \
  --model "$src/launch/models/mlp.model" --epochs 500 --train-limit 4000 --test-limit 200 --out "$dir/run2")
out=$dir/job-$job.out
for _ in $(seq 120); do grep -q "^epoch 2/" "$out" 2> /dev/null && break; sleep 0.5; done
grep -q "^epoch 2/" "$out" || fail "job $job did not start training"
scancel --batch --signal=USR1 "$job"
for _ in $(seq 120); do squeue -h -j "$job" 2> /dev/null | grep -q . || break; sleep 0.5; done
state=$(scontrol show job "$job" | sed -n 's/.*JobState=\([A-Z]*\).*/\1/p')
grep -q "(SIGTERM/SIGUSR1); resume with --resume" "$out" || fail "job $job did not checkpoint on USR1"
ls "$dir"/run2/ckpt-*.h5 > /dev/null 2>&1 || fail "no checkpoint after USR1"
[ "$state" = COMPLETED ] || fail "job $job ended $state after USR1"
grep "stopping after" "$out"
echo "PASS: Slurm job $job stopped on USR1 with a checkpoint, COMPLETED"
