#!/usr/bin/env bash
# The hang detector (--hang-timeout, README "Reliability"): a rank stopped with SIGSTOP during
# training leaves the others waiting in a collective; the job must end within the timeout + 10 s
# with exit code 3 and a message naming the stopped rank and where it was last seen. A rank
# stopped for less than the timeout and then continued is slow, not hung: the run ends normally.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
topic_start "$@"

# start NAME TIMEOUT: a long 2-rank run in the background ($job, $log), once epoch 1 is logged.
start() {
  log=$work/$1.log
  mpirun -np 2 --oversubscribe "$tandem" train --data "$data" --model "$src/launch/models/mlp.model" \
    --epochs 1000 --train-limit 2000 --test-limit 200 --threads 1 --checkpoint-every 0 \
    --hang-timeout "$2" --out "$work/$1" > "$log" 2>&1 &
  job=$!
  wait_for_line '^epoch 1/' "$log" "$job" 120
}
# rank_pid R: the pid of rank R of $job (from Open MPI's environment of each child).
rank_pid() {
  local p
  for p in $(pgrep -P "$job" -x tandem); do
    tr '\0' '\n' < "/proc/$p/environ" | grep -qx "OMPI_COMM_WORLD_RANK=$1" && { echo "$p"; return; }
  done
}

# --- a stopped rank: named, and the job ends in time --------------------------------------------
for stopped in 1 0; do
  name=stopped-rank-$stopped
  start "$name" 5
  check --log "$log" "$name: training started" test $? -eq 0
  pid=$(rank_pid "$stopped")
  check "$name: found rank $stopped's pid" test -n "$pid"
  t0=$SECONDS
  kill -STOP "$pid"
  wait_deadline "$job" 40
  rc=$? took=$((SECONDS - t0))
  kill -CONT "$pid" 2> /dev/null
  check --log "$log" "$name: the job ended in ${took} s, within --hang-timeout 5 + 10 s" test "$took" -le 15
  check --log "$log" "$name: exit code 3 (got $rc)" test "$rc" -eq 3
  check --log "$log" "$name: the message names rank $stopped as not arrived" \
    grep -q "rank(s) $stopped have not arrived" "$log"
  check --log "$log" "$name: and says what the waiting rank waited in" grep -qE "hang detector: rank [0-9] waited [0-9.]+ s \(--hang-timeout 5.0\) in " "$log"
done
# Rank 0 collects the heartbeats: it says where the stopped rank 1 was last seen.
check --log "$work/stopped-rank-1.log" "stopped rank 1: last seen at a global step and phase" \
  grep -qE "rank 1: NOT ARRIVED: .*last seen [0-9.]+ s ago at global step [0-9]+, " "$work/stopped-rank-1.log"

# --- a slow rank (stopped for 3 s, under the timeout of 8 s) is not flagged ---------------------
# After it goes on, SIGUSR1 to mpirun stops the run cleanly (README "Training lifecycle").
start slow 8
check --log "$log" "slow: training started" test $? -eq 0
pid=$(rank_pid 1)
kill -STOP "$pid"
sleep 3
kill -CONT "$pid"
epochs=$(grep -c '^epoch ' "$log")
sleep 2
kill -USR1 "$job"
wait_deadline "$job" 60
rc=$?
check --log "$log" "slow: the run ends normally (exit $rc)" test "$rc" -eq 0
check --log "$log" "slow: no hang reported" not grep -q "hang detector" "$log"
check --log "$log" "slow: trained on after the stall" test "$(grep -c '^epoch ' "$log")" -gt "$epochs"
check --log "$log" "slow: stopped by the signal" grep -q "^stopping after global step" "$log"

finish
