#!/usr/bin/env bash
# Training end to end: the MLP trained on 4,000 Fashion-MNIST samples under mpirun -np 2 (by
# the fixture setup_runs.sh, into $shared/mlp) learns, writes its outputs with the metrics
# contract's keys, and `tandem eval` of its final.h5 on 2 ranks reproduces the accuracy it
# logged.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
topic_start "$@"
run=$shared/mlp
metrics=$run/metrics.jsonl

# --- outputs: final.h5 and one metrics line per epoch ---------------------------------------
check "final.h5 written" test -f "$run/final.h5"
check "three metrics lines for three epochs" json_true 'length == 3' "$metrics"

# --- every metrics line carries the contract's keys -----------------------------------------
check "metrics keys: epoch step train_loss test_loss test_accuracy lr seconds samples_per_s" \
  json_true 'all(.[]; has("epoch") and has("step") and has("train_loss") and has("test_loss") and
                      has("test_accuracy") and has("lr") and has("seconds") and has("samples_per_s"))' "$metrics"

# --- it learned: the loss fell from below ln(10) and accuracy is well above chance (0.1) -----
check "training loss fell: $(json '[.[0].train_loss, .[-1].train_loss] | join(" -> ")' "$metrics")" \
  json_true '.[-1].train_loss < .[0].train_loss and .[0].train_loss < 2.3' "$metrics"
check "last test accuracy $(json '.[-1].test_accuracy' "$metrics") > 0.7" json_true '.[-1].test_accuracy > 0.7' "$metrics"

# --- eval on 2 ranks reproduces the last epoch's test accuracy exactly ----------------------
mpi 2 "$tandem" eval --checkpoint "$run/final.h5" --data "$data" --limit 2000 --json > "$work/eval.json" 2> "$work/eval.err"
check --log "$work/eval.err" "eval --json accuracy $(json '.[0].accuracy' "$work/eval.json") equals the run's" \
  jq -e -n --slurpfile m "$metrics" --slurpfile e "$work/eval.json" '$e[0].accuracy == $m[-1].test_accuracy'
finish
