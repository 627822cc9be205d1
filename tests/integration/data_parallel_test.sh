#!/usr/bin/env bash
# Data-parallel options end to end on 2 ranks: a validation split, gradient accumulation,
# bucketed gradient synchronization and local batch norm in one run, and the layout lines
# that report them.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
topic_start "$@"
log=$work/train.log

mpi 2 "$tandem" train --data "$data" --model "$src/launch/models/mlp-bn.model" --epochs 2 --batch-size 32 \
  --accumulate 2 --grad-sync bucketed --bn-sync local --val-split 0.1 --train-limit 4000 --test-limit 1000 \
  --threads 1 --out "$work/run" > "$log" 2>&1
check --log "$log" "train exits 0" test $? -eq 0

# --- --val-split 0.1: 400 of 4,000 held out, evaluated after every epoch ---------------------
check --log "$log" "3600 train / 400 validation / 1000 test" grep -q "3600 train / 400 validation / 1000 test" "$log"
check "every metrics line has val_accuracy" json_true 'length == 2 and all(.[]; has("val_accuracy"))' "$work/run/metrics.jsonl"

# --- --accumulate 2: a global batch of 64 in 2 micro-batches of 16 per rank ------------------
check --log "$log" "global batch 64, per rank 32 at most in 2 micro-batches of 16" \
  grep -q "global batch 64, per rank 32 at most in 2 micro-batches of 16" "$log"

# --- --grad-sync bucketed, --bn-sync local ---------------------------------------------------
check --log "$log" "gradient sync bucketed" grep -q "gradient sync bucketed" "$log"
check --log "$log" "batch-norm statistics local" grep -q "batch-norm statistics local" "$log"
finish
