#!/usr/bin/env bash
# Preemption (README "Training lifecycle"): SIGUSR1 to mpirun, which forwards it to every rank
# (what launch/slurm/train.sbatch does when Slurm warns of the time limit), and SIGTERM to the
# ranks themselves (what a scheduler killing the processes sends) each make the run write a
# checkpoint at the next step and exit 0; the checkpoint resumes.
#
# Made deterministic: the signal goes to this job's own pids (never a pattern over all
# processes), only once the log shows epoch 1 finished (every rank has then installed its
# handlers: rank 0 prints that line after collectives with all ranks inside the training
# loop), and the run is long enough (1,000 epochs) never to finish first; the resumed run
# continues for two more epochs than the stopped one began, wherever the signal landed.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
topic_start "$@"

# preempt_start NAME: starts a long 2-rank run in the background ($job: mpirun's pid; $out, $log),
# waits until epoch 1 is logged; the caller then sends the signal.
preempt_start() {
  out=$work/$1 log=$work/$1.log
  mpirun -np 2 --oversubscribe "$tandem" train --data "$data" --model "$src/launch/models/mlp.model" --epochs 1000 \
    --train-limit 4000 --test-limit 200 --threads 1 --checkpoint-every 0 --out "$out" > "$log" 2>&1 &
  job=$!
  wait_for_line '^epoch 1/1000' "$log" "$job" 120
}

# preempt_check NAME: the run stopped cleanly with a checkpoint that resumes.
preempt_check() {
  local name=$1 rc
  wait_deadline "$job" 60
  rc=$?
  check --log "$log" "$name: exit 0 (not 124: did not stop within 60 s)" test $rc -eq 0
  check --log "$log" "$name: 'stopping after global step N (SIGTERM/SIGUSR1); resume with --resume ...'" \
    grep -qE '^stopping after global step [0-9]+ \(SIGTERM/SIGUSR1\); resume with --resume .*/ckpt-[0-9]+\.h5$' "$log"
  check --log "$log" "$name: stopped before the end of the run" not grep -q "^epoch 1000/1000" "$log"
  local step ckpt epochs
  step=$(sed -n 's/^stopping after global step \([0-9]*\) .*/\1/p' "$log")
  ckpt=$(printf '%s/ckpt-%08d.h5' "$out" "${step:-0}")
  check "$name: the checkpoint of step $step is in OUT" test -f "$ckpt"
  # Stopped inside epoch k+1 after k logged epochs: resuming with --epochs k+2 must train on.
  epochs=$(($(grep -c '^epoch [0-9]*/1000' "$log") + 2))
  mpi 2 "$tandem" train --resume "$ckpt" --epochs "$epochs" --out "$out" > "$out.resume.log" 2>&1
  check --log "$out.resume.log" "$name: resume exits 0" test $? -eq 0
  check --log "$out.resume.log" "$name: resumed at global step $step" grep -q "global step $step\$" "$out.resume.log"
  check --log "$out.resume.log" "$name: resumed run trained to epoch $epochs/$epochs" grep -q "^epoch $epochs/$epochs " "$out.resume.log"
  check --log "$out.resume.log" "$name: resumed run ends with the final test accuracy" grep -q "^final test accuracy" "$out.resume.log"
}

# --- SIGUSR1 to mpirun's pid: forwarded to every rank ----------------------------------------
preempt_start usr1
check --log "$log" "SIGUSR1 run: training started (epoch 1 logged)" test $? -eq 0
kill -USR1 "$job"
preempt_check "SIGUSR1 to mpirun"

# --- SIGTERM to the ranks (mpirun's children), as a scheduler sends it ------------------------
# (SIGTERM to mpirun itself is not forwarded: mpirun ends the job, exit code 1.)
preempt_start term
check --log "$log" "SIGTERM run: training started (epoch 1 logged)" test $? -eq 0
ranks=$(pgrep -P "$job" -x tandem | tr '\n' ' ')
check "SIGTERM run: mpirun's children are the 2 ranks" test "$(wc -w <<< "$ranks")" -eq 2
# shellcheck disable=SC2086
kill -TERM $ranks
preempt_check "SIGTERM to the ranks"
finish
