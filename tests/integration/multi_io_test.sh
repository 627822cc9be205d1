#!/usr/bin/env bash
# Several inputs and outputs (README "Several inputs and outputs") on the image-pairs example:
# `tandem convert pairs`; the multi-label model (bce_logits) and the multi-output model (three
# weighted losses) trained under mpirun -np 2; eval reproducing the weighted test loss;
# predict writing one group per output; a two-input model refused on a one-input dataset.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
topic_start "$@"
pairs=$work/pairs.h5

# --- tandem convert pairs: x/left, x/right, y/left, y/right, y/present -----------------------
"$tandem" convert pairs --from "$data" --out "$pairs" --limit 3000 > "$work/pairs.log" 2>&1
check --log "$work/pairs.log" "convert pairs: exit 0" test $? -eq 0
check "convert pairs: /train/x/left {3000, 1, 28, 28}" h5_has "$pairs" /train/x/left "{3000, 1, 28, 28}"
check "convert pairs: /train/x/right {3000, 1, 28, 28}" h5_has "$pairs" /train/x/right "{3000, 1, 28, 28}"
check "convert pairs: /train/y/left {3000}" h5_has "$pairs" /train/y/left "{3000}"
check "convert pairs: /train/y/right {3000}" h5_has "$pairs" /train/y/right "{3000}"
check "convert pairs: /train/y/present {3000, 10}" h5_has "$pairs" /train/y/present "{3000, 10}"

# --- multi-label: per-label accuracy must beat predicting every label off (1 - 1.9/10 = 0.81) -
mpi 2 "$tandem" train --data "$pairs" --model "$src/launch/models/pairs-multilabel.model" --epochs 3 --batch-size 64 \
  --lr 0.05 --optimizer momentum --test-limit 1000 --threads 1 --out "$work/ml" > "$work/ml.log" 2>&1
check --log "$work/ml.log" "multi-label: train exits 0" test $? -eq 0
check --log "$work/ml.log" "multi-input multi-label (bce_logits): test per-label accuracy $(json '.[-1].test_accuracy' "$work/ml/metrics.jsonl") > 0.86" \
  json_true '.[-1].test_accuracy > 0.86' "$work/ml/metrics.jsonl"

# --- multi-output: three weighted losses (1, 1, 0.5) ------------------------------------------
mpi 2 "$tandem" train --data "$pairs" --model "$src/launch/models/pairs-multitask.model" --epochs 3 --batch-size 64 \
  --lr 0.05 --optimizer momentum --test-limit 1000 --threads 1 --out "$work/mt" > "$work/mt.log" 2>&1
check --log "$work/mt.log" "multi-output: train exits 0" test $? -eq 0
metrics=$work/mt/metrics.jsonl
check "multi-output: left-class accuracy $(json '.[-1].test_accuracy' "$metrics") > 0.7" json_true '.[-1].test_accuracy > 0.7' "$metrics"
check "multi-output: test loss $(json '.[-1].test_loss' "$metrics") = left + right + 0.5 present ($(json '.[-1] | [.test_loss_left_class, .test_loss_right_class, .test_loss_present] | map(tostring) | join(", ")' "$metrics"))" \
  json_true '.[-1] | (.test_loss_left_class + .test_loss_right_class + 0.5 * .test_loss_present - .test_loss) | fabs < 1e-4' "$metrics"
mpi 2 "$tandem" eval --checkpoint "$work/mt/final.h5" --data "$pairs" --limit 1000 --json > "$work/mt-eval.json" 2> "$work/mt-eval.err"
check --log "$work/mt-eval.err" "multi-output: eval of final.h5 reproduces the weighted test loss ($(json '.[0].loss' "$work/mt-eval.json"))" \
  jq -e -n --slurpfile m "$metrics" --slurpfile e "$work/mt-eval.json" '($e[0].loss - $m[-1].test_loss) | fabs < 1e-4'

# --- predict: one group per output -------------------------------------------------------------
mpi 2 "$tandem" predict --checkpoint "$work/mt/final.h5" --data "$pairs" --limit 50 --out "$work/mt-pred.h5" > "$work/mt-pred.log" 2>&1
check --log "$work/mt-pred.log" "multi-output predict: exit 0" test $? -eq 0
check "multi-output predict: /present/predicted {50, 10}" h5_has "$work/mt-pred.h5" /present/predicted "{50, 10}"
check "multi-output predict: /left_class/probabilities {50, 10}" h5_has "$work/mt-pred.h5" /left_class/probabilities "{50, 10}"

# --- a two-input model on a one-input dataset names the layout it needs -----------------------
expect_error "two inputs, one x" 2 "but the model has 2 inputs; store one array per input in a group: /SPLIT/x/NAME" \
  --data "$data" --model "$src/launch/models/pairs-multilabel.model"
finish
