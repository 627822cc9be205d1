#!/usr/bin/env bash
# Submits launch/slurm/train.sbatch to a real one-node Slurm started on this machine:
# munged, slurmctld and slurmd from Debian's slurm-wlm, with a private configuration, state
# and ports in a temporary directory. Checks the job completed, ran 2 ranks and trained.
#   slurm_test.sh TANDEM_BINARY SOURCE_DIR
# It does not depend on name resolution: the controller and the node are this machine's short
# hostname (slurmctld requires its own name) at 127.0.0.1 (SlurmctldHost=NAME(127.0.0.1),
# NodeAddr=127.0.0.1), so a machine whose hostname is in no /etc/hosts or DNS runs it too.
# Every wait is bounded and a FAIL names what did not happen, with the daemons' log tails.
set -euo pipefail
tandem=$1 src=$2
for tool in munged slurmctld slurmd sbatch squeue sacct scontrol; do
  command -v "$tool" > /dev/null || { echo "FAIL: $tool not installed (launch/test.sh installs slurm-wlm)"; exit 1; }
done
dir=$(mktemp -d /tmp/tandem_slurm.XXXXXX)
chmod 755 "$dir"
pids=() jobs=()
declare -A daemon  # name -> pid, for the FAIL message
cleanup() {
  for j in "${jobs[@]}"; do timeout 10 scancel "$j" 2> /dev/null || true; done
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  wait 2> /dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  local name
  for name in "${!daemon[@]}"; do
    kill -0 "${daemon[$name]}" 2> /dev/null && echo "  $name (pid ${daemon[$name]}) is running" ||
      echo "  $name (pid ${daemon[$name]}) is NOT running"
  done
  [ ${#jobs[@]} -eq 0 ] || timeout 10 scontrol show job "${jobs[-1]}" 2>&1 | sed 's/^/  | /'
  for f in "$dir"/*.log "$dir"/job-*.out; do [ -f "$f" ] && { echo "--- $f"; tail -30 "$f"; }; done
  exit 1
}
# within SECONDS WHAT COMMAND...: until COMMAND succeeds, at most SECONDS (the Slurm commands
# in COMMAND are limited by q); otherwise FAIL naming WHAT did not happen.
within() {
  local seconds=$1 what=$2 deadline
  shift 2
  deadline=$((SECONDS + seconds))
  until "$@" > /dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || fail "$what did not happen within $seconds s"
    sleep 0.5
  done
}
# Slurm commands never wait long on an unreachable daemon.
q() { timeout 20 "$@"; }
job_state() { q scontrol show job "$1" 2> /dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p'; }
job_ended() { case $(job_state "$1") in COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | PREEMPTED) ;; *) return 1 ;; esac; }
node_ready() { q sinfo -h -o %T | grep -Eq '^(idle|mixed)'; }
ctld_up() { q scontrol ping | grep -q 'is UP'; }

# munge: our own daemon and socket, with the key the package generated (or a fresh one).
mkdir -p "$dir/munge"
key=/etc/munge/munge.key
[ -r "$key" ] || { key=$dir/munge/munge.key; dd if=/dev/urandom of="$key" bs=1 count=128 2> /dev/null; }
cp "$key" "$dir/munge/munge.key"
chmod 700 "$dir/munge"
chmod 400 "$dir/munge/munge.key"
timeout 30 munged --force --origin=127.0.0.1 --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
  --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge.log" --seed-file="$dir/munge/seed" ||
  fail "munged did not start"
pids+=("$(cat "$dir/munge/munged.pid")")
daemon[munged]=${pids[-1]}

# Ports for slurmctld and slurmd, random so that a concurrent run or a real Slurm is left alone.
ctld_port=$((20000 + RANDOM % 20000))
slurmd_port=$((ctld_port + 1))
host=$(hostname -s)  # a name only: Slurm reaches both daemons at 127.0.0.1
cpus=$(nproc)
mkdir -p "$dir/state" "$dir/spool"
cat > "$dir/slurm.conf" << CONF
ClusterName=tandemtest
SlurmctldHost=$host(127.0.0.1)
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
NodeName=$host NodeAddr=127.0.0.1 NodeHostname=$host CPUs=$cpus RealMemory=1000 State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF
export SLURM_CONF=$dir/slurm.conf
slurmctld -D -i > "$dir/slurmctld.stdout.log" 2>&1 &
pids+=($!)
daemon[slurmctld]=$!
slurmd -D -N "$host" > "$dir/slurmd.stdout.log" 2>&1 &
pids+=($!)
daemon[slurmd]=$!
within 30 "slurmctld answering (scontrol ping: UP)" ctld_up
within 60 "the Slurm node $host becoming idle (sinfo)" node_ready

timeout 120 "$tandem" convert idx --dir /usr/share/datasets/fashion-mnist --out "$dir/fm.h5" > /dev/null ||
  fail "tandem convert idx (Fashion-MNIST) failed or took over 120 s"
# Open MPI on this machine: root, loopback (a cluster's site settings would come instead).
set -a
. "$src/launch/openmpi.env"
set +a
export TANDEM="$tandem" TANDEM_ROOT="$src"  # the binary, and the checkout holding launch/slurm/run_tandem.sh
job=$(q sbatch --parsable --chdir="$dir" --output="$dir/job-%j.out" --nodes=1 --ntasks-per-node=2 \
  --cpus-per-task=1 --time=5 "$src/launch/slurm/train.sbatch" --data "$dir/fm.h5" \
  --model "$src/launch/models/mlp.model" --epochs 2 --train-limit 4000 --test-limit 1000 --out "$dir/run") ||
  fail "sbatch did not accept the job"
jobs+=("$job")
within 240 "job $job ending" job_ended "$job"
out=$dir/job-$job.out
[ -f "$out" ] || fail "no job output $out"
grep -q "2 rank(s)" "$out" || fail "the job did not run 2 ranks"
grep -q "^final test accuracy" "$out" || fail "the job did not finish training"
[ -f "$dir/run/final.h5" ] || fail "no final.h5"
state=$(job_state "$job")
[ "$state" = COMPLETED ] || fail "job $job ended $state"
cat "$out"
echo "PASS: Slurm job $job COMPLETED"

# Preemption: USR1 to the batch script (what #SBATCH --signal=B:USR1@120 sends before the
# time limit) must end in a checkpoint and a COMPLETED job, not a killed one.
job=$(q sbatch --parsable --chdir="$dir" --output="$dir/job-%j.out" --nodes=1 --ntasks-per-node=2 \
  --cpus-per-task=1 --time=5 "$src/launch/slurm/train.sbatch" --data "$dir/fm.h5" \
  --model "$src/launch/models/mlp.model" --epochs 500 --train-limit 4000 --test-limit 200 --out "$dir/run2") ||
  fail "sbatch did not accept the second job"
out=$dir/job-$job.out
jobs+=("$job")
within 120 "job $job logging its 2nd epoch" grep -q "^epoch 2/" "$out"
q scancel --batch --signal=USR1 "$job" || fail "scancel --batch --signal=USR1 $job failed"
within 120 "job $job ending after USR1" job_ended "$job"
state=$(job_state "$job")
grep -q "(SIGTERM/SIGUSR1); resume with --resume" "$out" || fail "job $job did not checkpoint on USR1"
ls "$dir"/run2/ckpt-*.h5 > /dev/null 2>&1 || fail "no checkpoint after USR1"
[ "$state" = COMPLETED ] || fail "job $job ended $state after USR1"
grep "stopping after" "$out"
echo "PASS: Slurm job $job stopped on USR1 with a checkpoint, COMPLETED"
