#!/usr/bin/env bash
# Diagnostics (README "Diagnostics"): --overfit-batches drives the training loss of a few
# batches to ~0; a first loss far from ln(C) is warned about (and a normal one is not);
# `tandem gradcheck` passes on the CNN with batch norm and fails (exit 1) above a threshold.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
topic_start "$@"

# --- --overfit-batches 2: 40 epochs on the same 2 batches, weight decay turned off ----------
mpi 2 "$tandem" train --data "$data" --model "$src/launch/models/cnn-bn.model" --epochs 40 --overfit-batches 2 \
  --batch-size 32 --lr 0.05 --test-limit 200 --threads 1 --weight-decay 0.1 > "$work/overfit.log" 2>&1
check --log "$work/overfit.log" "overfit run exits 0" test $? -eq 0
last=$(sed -n 's/^epoch 40\/40 .*train_loss \([0-9.]*\) .*/\1/p' "$work/overfit.log")
check --log "$work/overfit.log" "--overfit-batches 2: training loss '$last' < 0.05 after 40 epochs" \
  jq -e -n --argjson l "${last:-null}" '$l != null and $l < 0.05'

# --- the initial-loss check -------------------------------------------------------------------
printf 'input 1 28 28\nflatten\ndense 10 init=orthogonal:30\n' > "$work/hot.model"
mpi 2 "$tandem" train --data "$data" --model "$work/hot.model" --epochs 1 --train-limit 500 --test-limit 100 \
  --threads 1 > "$work/hot.log" 2>&1
check --log "$work/hot.log" "huge initial logits: warned that the first loss is far from ln(10) = 2.303" \
  grep -q "far from ln(10) = 2.303" "$work/hot.log"
check --log "$work/overfit.log" "a normal first loss (the overfit run's) is not warned about" not grep -q "far from ln" "$work/overfit.log"

# --- tandem gradcheck ---------------------------------------------------------------------------
"$tandem" gradcheck --model "$src/launch/models/cnn-bn.model" --data "$data" > "$work/gc.log" 2>&1
check --log "$work/gc.log" "gradcheck cnn-bn: exit 0 (within the default threshold)" test $? -eq 0
check --log "$work/gc.log" "gradcheck cnn-bn: a line per tensor (conv2d_1.weight)" grep -q "^conv2d_1.weight" "$work/gc.log"
check --log "$work/gc.log" "gradcheck cnn-bn: the worst relative error" grep -q "^worst relative error" "$work/gc.log"
"$tandem" gradcheck --model "$src/launch/models/mlp.model" --data "$data" --threshold 1e-9 > "$work/gc2.log" 2>&1
check --log "$work/gc2.log" "gradcheck --threshold 1e-9: exit 1" test $? -eq 1
check --log "$work/gc2.log" "gradcheck --threshold 1e-9: 'gradient check failed'" grep -q "gradient check failed" "$work/gc2.log"
finish
