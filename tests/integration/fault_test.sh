#!/usr/bin/env bash
# Fault injection (README "Training lifecycle"; issue 15, part 6). Crashes, not requests:
#   - kill: SIGKILL to a random training rank at a random moment of training, TRIALS times
#     (default 3). The job must end (mpirun and both ranks gone) less than 10 s after the
#     kill, and a resume from the last checkpoint in OUT must end with final.h5 bitwise equal
#     to the run done without interruption (parameters and running statistics) and the same
#     metrics. The moment is a random point of progress, not of time (so that a fast or a
#     loaded machine both kill mid-run): once the checkpoint of a random step K (10-70 of 120)
#     is written, after a random 0-40 ms more.
#   - rename: rank 0 killed (SIGKILL, by itself: TANDEM_TEST_KILL_BEFORE_RENAME=5, the
#     test-only hook of the checkpoint writer) after the 5th checkpoint's bytes (step 25) are
#     flushed to ckpt-00000025.h5.tmp and before the rename. The job must end within 10 s, ckpt-N.h5 must not
#     exist, the previous checkpoint must still be a readable tandem checkpoint, and a
#     resume from it must end bitwise equal to the uninterrupted run.
# The moments and ranks come from $RANDOM seeded with TANDEM_FAULT_SEED (printed, default
# the time) so that a failing trial can be repeated: TANDEM_FAULT_SEED=S ctest -R integration_fault.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
topic_start "$@"
trials=${TANDEM_FAULT_TRIALS:-3}
seed=${TANDEM_FAULT_SEED:-$(date +%s)}
RANDOM=$seed
echo "fault injection: seed $seed (TANDEM_FAULT_SEED), $trials trials"

# 2 ranks, 6 epochs of 2,000 samples in batches of 100 (120 steps), a checkpoint every 5 steps.
opts=(--data "$data" --model "$src/launch/models/mlp-bn.model" --epochs 6 --batch-size 100 --train-limit 2000
      --test-limit 500 --optimizer nesterov --lr 0.02 --threads 1 --seed 7 --checkpoint-every 5steps)
steps_total=120

mpi 2 "$tandem" train "${opts[@]}" --out "$work/full" > "$work/full.log" 2>&1
check --log "$work/full.log" "uninterrupted run exits 0" test $? -eq 0
train_s=$(json '[.[].seconds] | add' "$work/full/metrics.jsonl")
echo "uninterrupted run: ${train_s:-?} s of training"

now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }
# latest_ckpt DIR: the checkpoint of the highest step in DIR (not the .tmp of one unfinished).
latest_ckpt() { find "$1" -maxdepth 1 -name 'ckpt-*.h5' | sort | tail -n 1; }
# ckpt_step PATH: the step of OUT/ckpt-STEP.h5 (0 for none).
ckpt_step() {
  local step=${1##*/ckpt-}
  step=${step%.h5}
  echo $((10#${step:-0}))
}
# job_start NAME [MPIRUN_OPTIONS...]: the run in the background ($job: mpirun's pid, $out, $log).
job_start() {
  out=$work/$1 log=$work/$1.log
  shift
  mpirun -np 2 --oversubscribe "$@" "$tandem" train "${opts[@]}" --out "$out" > "$log" 2>&1 &
  job=$!
}

# alive PID...: one of the processes still runs (a zombie, dead but not yet reaped, does not).
alive() {
  local p state
  for p in "$@"; do
    state=$(ps -o stat= -p "$p" 2> /dev/null) || continue
    [[ $state == Z* ]] || return 0
  done
  return 1
}
# job_end_ms RANK_PIDS...: waits (at most 60 s) for mpirun and the ranks to end; sets
# $elapsed_ms, the ms from $t_kill to then, and $rc, mpirun's exit code (124: had to be killed).
job_end_ms() {
  local deadline=$((SECONDS + 60))
  while alive "$job" "$@" && [ $SECONDS -lt $deadline ]; do sleep 0.02; done
  local t_end
  t_end=$(now_ms)
  if kill -0 "$job" 2> /dev/null; then
    kill -KILL "$job" 2> /dev/null
    wait "$job" 2> /dev/null
    rc=124
  else
    wait "$job"
    rc=$?
  fi
  elapsed_ms=$((t_end - t_kill))
}
# resume_and_compare NAME CKPT: resumes the run from CKPT into its OUT; final.h5 and metrics
# must equal the uninterrupted run's.
resume_and_compare() {
  local name=$1 ckpt=$2
  mpi 2 "$tandem" train --resume "$ckpt" --out "$out" > "$out.resume.log" 2>&1
  check --log "$out.resume.log" "$name: resume from $(basename "$ckpt") exits 0" test $? -eq 0
  check --log "$out.resume.log" "$name: resumed run trained to the last epoch" grep -q "^epoch 6/6 " "$out.resume.log"
  check "$name: resumed final.h5 bitwise equal to the uninterrupted one (/params, /state)" \
    h5_same "$work/full/final.h5" "$out/final.h5" /params /state
  check "$name: metrics equal to the uninterrupted run's" same_metrics "$work/full/metrics.jsonl" "$out/metrics.jsonl"
}

# --- SIGKILL to a random rank at a random moment ----------------------------------------------
times=()
for trial in $(seq "$trials"); do
  name=kill$trial
  job_start "$name"
  at=$((10 + 5 * (RANDOM % 13))) delay_ms=$((RANDOM % 41))
  deadline=$((SECONDS + 120))
  until [ "$(ckpt_step "$(latest_ckpt "$out" 2> /dev/null)")" -ge "$at" ] || ! kill -0 "$job" 2> /dev/null ||
    [ $SECONDS -ge $deadline ]; do
    sleep 0.01
  done
  sleep "0.0$(printf '%02d' "$delay_ms")"
  mapfile -t ranks < <(pgrep -P "$job" -x tandem)
  if [ "${#ranks[@]}" -ne 2 ]; then
    fail "$name: 2 ranks running when the kill is due (found ${#ranks[@]}; the run ended first?)"
    cat "$log"
    kill -KILL "$job" 2> /dev/null
    wait "$job" 2> /dev/null
    continue
  fi
  victim=$((RANDOM % 2))
  rank=$(tr '\0' '\n' < "/proc/${ranks[$victim]}/environ" | sed -n 's/^OMPI_COMM_WORLD_RANK=//p')
  t_kill=$(now_ms)
  kill -KILL "${ranks[$victim]}"
  job_end_ms "${ranks[@]}"
  times+=("$elapsed_ms")
  ckpt=$(latest_ckpt "$out")
  step=$(ckpt_step "$ckpt")
  echo "$name: SIGKILL to rank $rank (pid ${ranks[$victim]}) $delay_ms ms after checkpoint $at;" \
    "job ended $elapsed_ms ms later (exit $rc); last checkpoint: step $step of $steps_total"
  check --log "$log" "$name: the job ended within 10 s of the kill ($elapsed_ms ms)" test "$rc" -ne 124 -a "$elapsed_ms" -lt 10000
  check --log "$log" "$name: mpirun reports the failure (exit $rc, not 0)" test "$rc" -ne 0
  check --log "$log" "$name: mpirun names rank $rank's SIGKILL" grep -qE "process rank $rank with PID [0-9]+ on node .* exited on signal 9" "$log"
  check --log "$log" "$name: killed before the end of training" not grep -q "^final test accuracy" "$log"
  resume_and_compare "$name" "$ckpt"
done
echo "kill-to-exit times (ms): ${times[*]}"

# --- rank 0 killed between writing a checkpoint and renaming it ---------------------------------
name=rename
TANDEM_TEST_KILL_BEFORE_RENAME=5 job_start "$name" -x TANDEM_TEST_KILL_BEFORE_RENAME
# The hook fires inside rank 0, after the file is flushed: the time is measured from the
# moment its .tmp file appears (an upper bound of the time from the kill).
deadline=$((SECONDS + 120))
until [ -f "$out/ckpt-00000025.h5.tmp" ] || ! kill -0 "$job" 2> /dev/null || [ $SECONDS -ge $deadline ]; do
  sleep 0.01
done
t_kill=$(now_ms)
mapfile -t ranks < <(pgrep -P "$job" -x tandem)
job_end_ms "${ranks[@]}"
echo "$name: job ended $elapsed_ms ms after ckpt-00000025.h5.tmp appeared (exit $rc)"
check --log "$log" "$name: the job ended within 10 s of rank 0's death ($elapsed_ms ms)" test "$rc" -ne 124 -a "$elapsed_ms" -lt 10000
check --log "$log" "$name: mpirun reports the failure (exit $rc, not 0)" test "$rc" -ne 0
check --log "$log" "$name: rank 0 died of SIGKILL" grep -qE "process rank 0 with PID [0-9]+ on node .* exited on signal 9" "$log"
check "$name: the 5th checkpoint (step 25) was written to its temporary name" test -f "$out/ckpt-00000025.h5.tmp"
check "$name: ... and never renamed into place" test ! -e "$out/ckpt-00000025.h5"
check "$name: the previous checkpoint (step 20) is in place" test -f "$out/ckpt-00000020.h5"
check "$name: the previous checkpoint is a readable tandem checkpoint of step 20" \
  test "$(h5dump -a /progress/global_step "$out/ckpt-00000020.h5" 2> /dev/null | sed -n 's/^ *(0): *//p')" = 20
resume_and_compare "$name" "$out/ckpt-00000020.h5"
check "$name: the resumed run wrote step 25's checkpoint over the unfinished file" test ! -e "$out/ckpt-00000025.h5.tmp"
finish
