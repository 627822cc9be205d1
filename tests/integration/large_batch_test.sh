#!/usr/bin/env bash
# The large-batch options end to end (README "Techniques", LARS and LAMB): the learning rate
# scaled with the batch and Goyal's gradual warmup, shown at start-up and in the step lines;
# LARS and LAMB training under mpirun -np 2; gradient-norm clipping with the norm logged.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
topic_start "$@"

# --- linear scaling and gradual warmup ---------------------------------------------------
# 2,560 samples in global batches of 256: 10 steps an epoch, so --warmup-epochs 1 is 10 steps
# from --lr 0.05 to 0.05 x 256/64 = 0.2. A step line shows the rate of the next step:
# 0.2 (1/4 + 3/4 (s + 1)/10) at step s, 0.2 from step 9 on.
scaled=$work/scaled
mpi 2 "$tandem" train --data "$data" --model "$src/launch/models/mlp.model" --train-limit 2560 --test-limit 500 \
  --batch-size 256 --lr 0.05 --lr-scaling linear --base-batch 64 --warmup-epochs 1 --epochs 2 --threads 1 \
  --log-every-steps 1 --out "$scaled" > "$scaled.log" 2>&1
check --log "$scaled.log" "linear scaling with warmup: exits 0" test $? -eq 0
check --log "$scaled.log" "the start-up layout shows the scaled rate and the warmup" grep -qF \
  "learning rate 0.2 (--lr 0.05, linear scaling for global batch 256 from --base-batch 64); warmup from 0.05 over 10 steps" \
  "$scaled.log"
check "step lines climb linearly from 0.08 to 0.2 over the first epoch, then stay" json_true \
  '(.[0].lr - 0.08 | fabs) < 1e-9 and (.[4].lr - 0.14 | fabs) < 1e-9 and
   ([.[8:][] | .lr] | all((. - 0.2 | fabs) < 1e-9)) and length == 20' "$scaled/steps.jsonl"
check "metrics carry the scaled rate" json_true 'all(.[]; (.lr - 0.2 | fabs) < 1e-9)' "$scaled/metrics.jsonl"
mpi 1 "$tandem" train --data "$data" --model "$src/launch/models/mlp.model" --train-limit 1024 --test-limit 100 \
  --batch-size 256 --lr 0.05 --lr-scaling sqrt --base-batch 64 --epochs 1 --threads 1 > "$work/sqrt.log" 2>&1
check --log "$work/sqrt.log" "square-root scaling: 0.05 x sqrt(4) = 0.1" \
  grep -qF "learning rate 0.1 (--lr 0.05, sqrt scaling" "$work/sqrt.log"
expect_error "warmup given twice" 2 "give --warmup-epochs or --warmup-steps, not both" \
  --data "$data" --model "$src/launch/models/mlp.model" --warmup-epochs 1 --warmup-steps 10

# --- a batch schedule: 64, then 256, then 1,024 in micro-batches of at most 128 per rank ---------
sched=$work/schedule
mpi 2 "$tandem" train --data "$data" --model "$src/launch/models/mlp.model" --train-limit 8192 --test-limit 500 \
  --batch-schedule 0:64,1:256,2:1024 --max-micro-batch 128 --lr 0.02 --lr-scaling linear --base-batch 64 \
  --epochs 3 --threads 1 --out "$sched" > "$sched.log" 2>&1
check --log "$sched.log" "batch schedule: exits 0" test $? -eq 0
check "each epoch's batch and scaled rate in the metrics" json_true \
  '[.[].batch] == [64, 256, 1024] and ([.[].lr] | . == [0.02, 0.08, 0.32]) and [.[].step] == [128, 160, 168]' \
  "$sched/metrics.jsonl"
check --log "$sched.log" "buffers planned once, for the largest micro-batch" \
  grep -qF "batch schedule 0:64,1:256,2:1024: buffers planned for micro-batches of 128" "$sched.log"

# --- training to a target, and a step budget -------------------------------------------------
target=$work/target
mpi 2 "$tandem" train --data "$data" --model "$src/launch/models/mlp.model" --train-limit 10000 --test-limit 500 \
  --val-split 0.1 --epochs 20 --target val_accuracy=0.8 --threads 1 --out "$target" > "$target.log" 2>&1
check --log "$target.log" "--target: exits 0" test $? -eq 0
check --log "$target.log" "--target val_accuracy=0.8: reached and reported, well before 20 epochs" \
  grep -qE "^target val_accuracy=0.8 reached at global step [0-9]+ \(epoch [0-2]\." "$target.log"
check "final.h5 written at the target" test -f "$target/final.h5"
mpi 2 "$tandem" train --data "$data" --model "$src/launch/models/mlp.model" --train-limit 2000 --test-limit 200 \
  --epochs 20 --max-steps 25 --threads 1 --out "$work/budget" > "$work/budget.log" 2>&1
check --log "$work/budget.log" "--max-steps 25 ends the run at step 25 with a checkpoint" \
  test -f "$work/budget/ckpt-00000025.h5" -a -f "$work/budget/final.h5"

# --- LARS and LAMB: batches of 512 on 2 ranks learn ------------------------------------------
for run in "lamb --lr 0.01" "lars --lr 5 --trust-coefficient 0.001"; do
  name=${run%% *}
  # shellcheck disable=SC2086
  mpi 2 "$tandem" train --data "$data" --model "$src/launch/models/mlp.model" --optimizer $run --batch-size 512 \
    --epochs 3 --train-limit 10000 --test-limit 1000 --threads 1 --weight-decay 1e-4 --out "$work/$name" \
    > "$work/$name.log" 2>&1
  check --log "$work/$name.log" "$name exits 0" test $? -eq 0
  acc=$(json '.[-1].test_accuracy' "$work/$name/metrics.jsonl")
  check --log "$work/$name.log" "$name: test accuracy $acc > 0.7 after 3 epochs at batch 512" \
    json_true '.[-1].test_accuracy > 0.7' "$work/$name/metrics.jsonl"
done
check "lars checkpoints hold its velocity" h5_has "$(ls "$work"/lars/ckpt-*.h5 | tail -1)" /optimizer/velocity "{269322}"

# --- gradient-norm clipping -----------------------------------------------------------------
clip=$work/clip
mpi 2 "$tandem" train --data "$data" --model "$src/launch/models/mlp.model" --train-limit 2000 --test-limit 200 \
  --clip-grad-norm 0.5 --epochs 2 --threads 1 --log-every-steps 5 --out "$clip" > "$clip.log" 2>&1
check --log "$clip.log" "--clip-grad-norm 0.5 exits 0" test $? -eq 0
check "metrics carry the mean norm before clipping and the fraction clipped" \
  json_true 'all(.[]; .grad_norm > 0 and .clipped >= 0 and .clipped <= 1)' "$clip/metrics.jsonl"
check "step lines carry the window's mean norm" json_true 'all(.[]; .grad_norm > 0)' "$clip/steps.jsonl"
check "steps.csv has the grad_norm column" grep -q '^epoch,step,batch,train_loss,lr,grad_norm,gns,gns_g2,gns_trace$' "$clip/steps.csv"

finish
