#!/usr/bin/env bash
# --on-nonfinite (README "Reliability"): a nan put into ONE rank's gradient
# (TANDEM_FAULT_NAN_GRAD=STEP:RANK, before the ranks' gradients are summed) is seen by every
# rank at the same step, and every rank takes the same branch:
#   abort     the job ends with exit 1 naming the step and the epoch;
#   skip      the step makes no change: the checkpoint after it equals the one before it
#             (parameters, batch-norm statistics, optimizer state and step count, bitwise);
#   rollback  the checkpoint after it equals the snapshot (--rollback-every), and the rate is
#             halved from then on, across a resume too;
# and each gives up after its limit. Blocking sync: the nan travels through the ring sum (sharded:
# into one rank's piece only).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
topic_start "$@"

base=(--data "$data" --model "$src/launch/models/mlp-bn.model" --batch-size 64 --train-limit 1024
      --test-limit 256 --threads 1 --optimizer adam --lr 0.001 --seed 3 --grad-sync blocking)
# run NAME FAULTS TRAIN_ARGS...: 2 ranks, output in $work/NAME (log NAME.log, exit code in rc).
run() {
  local name=$1 faults=$2
  shift 2
  TANDEM_FAULT_NAN_GRAD=$faults mpi 2 "$tandem" train "${base[@]}" --out "$work/$name" "$@" > "$work/$name.log" 2>&1
  rc=$?
}
ckpt() { printf '%s/%s/ckpt-%08d.h5' "$work" "$1" "$2"; }
attr() { h5dump -a "/progress/$2" "$1" 2> /dev/null | sed -n 's/^ *(0): //p'; }
state=(/params /state /optimizer)

# --- abort (the default) ---------------------------------------------------------------------
run abort 3:1 --epochs 1
check --log "$work/abort.log" "abort: exit 1 (got $rc)" test $rc -eq 1
check --log "$work/abort.log" "abort: names the step and the epoch" \
  grep -q "not finite (nan or inf) at global step 3 (epoch 1)" "$work/abort.log"
check --log "$work/abort.log" "abort: says how to go on" grep -q -- "--on-nonfinite skip|rollback" "$work/abort.log"

# --- skip: the checkpoint after the skipped step equals the one before it ---------------------
run before-skip "" --epochs 1 --stop-after-steps 2
run skip 3:1 --epochs 1 --on-nonfinite skip --stop-after-steps 3
check --log "$work/skip.log" "skip: exit 0" test $rc -eq 0
check --log "$work/skip.log" "skip: logged" grep -q "at global step 3 (epoch 1): step skipped (1 so far)" "$work/skip.log"
check "skip: state after step 3 == state after step 2 (bitwise)" \
  h5_same "$(ckpt skip 3)" "$(ckpt before-skip 2)" "${state[@]}"
check "skip: the checkpoint counts 1 skipped step" test "$(attr "$(ckpt skip 3)" skipped_steps)" = 1
# Sharded (--shard-optimizer), the nan reaches only rank 0's piece of the summed gradient: rank 1
# finds its own piece finite and must still skip (the ranks agree before updating).
run before-skip-sharded "" --epochs 1 --stop-after-steps 2 --shard-optimizer
run skip-sharded 3:1 --epochs 1 --on-nonfinite skip --stop-after-steps 3 --shard-optimizer
check --log "$work/skip-sharded.log" "skip, sharded: exit 0" test $rc -eq 0
check "skip, sharded: state after step 3 == state after step 2 (bitwise)" \
  h5_same "$(ckpt skip-sharded 3)" "$(ckpt before-skip-sharded 2)" "${state[@]}"
run skip-full 5:0 --epochs 2 --on-nonfinite skip
check --log "$work/skip-full.log" "skip: a whole run exits 0" test $rc -eq 0
check "skip: metrics count the skipped step in epoch 1 only" \
  test "$(jq -c '[.epoch, .skipped_steps]' "$work/skip-full/metrics.jsonl" | tr -d '\n')" = "[1,1][2,0]"
check "skip: metrics.csv has the column" grep -q "skipped_steps,rollbacks" "$work/skip-full/metrics.csv"

# --- rollback: back to the snapshot of step 3, the rate halved --------------------------------
run before-rollback "" --epochs 1 --stop-after-steps 3
run rollback 5:0 --epochs 1 --on-nonfinite rollback --rollback-every 3 --stop-after-steps 5
check --log "$work/rollback.log" "rollback: exit 0" test $rc -eq 0
check --log "$work/rollback.log" "rollback: logged" \
  grep -q "at global step 5 (epoch 1): rolled back to the state after optimizer step 3, learning rate x 0.5" \
  "$work/rollback.log"
check "rollback: state after step 5 == state after step 3 (bitwise)" \
  h5_same "$(ckpt rollback 5)" "$(ckpt before-rollback 3)" "${state[@]}"
check "rollback: the checkpoint holds the rate factor 0.5" test "$(attr "$(ckpt rollback 5)" nonfinite_lr_scale)" = 0.5
mpi 2 "$tandem" train --resume "$(ckpt rollback 5)" --epochs 1 --out "$work/rollback" > "$work/rollback-resume.log" 2>&1
check --log "$work/rollback-resume.log" "rollback: the resumed run exits 0" test $? -eq 0
check "rollback: the resumed run trains at half the rate (lr 0.0005)" \
  test "$(jq -r '.lr' "$work/rollback/metrics.jsonl" | tail -1)" = 0.0005

# --- giving up ---------------------------------------------------------------------------------
run give-up-rollback 3:1,4:1 --epochs 1 --on-nonfinite rollback --max-rollbacks 1
check --log "$work/give-up-rollback.log" "rollback gives up: exit 1 (got $rc)" test $rc -eq 1
check --log "$work/give-up-rollback.log" "rollback gives up: names the limit" \
  grep -q "at global step 4 (epoch 1) after 1 rollbacks (--max-rollbacks 1)" "$work/give-up-rollback.log"
run give-up-skip 3:0,4:1 --epochs 1 --on-nonfinite skip --max-skipped-steps 1
check --log "$work/give-up-skip.log" "skip gives up: exit 1 (got $rc)" test $rc -eq 1
check --log "$work/give-up-skip.log" "skip gives up: names the limit" \
  grep -q "2 steps in a row, more than --max-skipped-steps 1" "$work/give-up-skip.log"

finish
