#!/usr/bin/env bash
# Techniques end to end (README "Techniques"): ZCA whitening fitted in training, stored in
# final.h5 and applied again by eval, with augmentation in training only; --param-groups
# lr_scale=0 freezing the model and a pattern matching nothing refused; `tandem hessian` on 2
# ranks; 15 L-BFGS iterations of logistic regression, and L-BFGS resumed bitwise; the
# hierarchical softmax (Huffman tree) trained on 2 ranks, evaluated exactly, resumed bitwise.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
topic_start "$@"

# --- --preprocess zca_whiten --augment flip,crop:2 -------------------------------------------
mpi 2 "$tandem" train --data "$data" --model "$src/launch/models/mlp.model" --epochs 2 --batch-size 64 \
  --train-limit 2000 --test-limit 1000 --threads 1 --preprocess zca_whiten --whiten-eps 0.1 \
  --augment flip,crop:2 --lr 0.05 --out "$work/zca" > "$work/zca.log" 2>&1
check --log "$work/zca.log" "zca + augmentation: train exits 0" test $? -eq 0
mpi 2 "$tandem" eval --checkpoint "$work/zca/final.h5" --data "$data" --limit 1000 --json > "$work/zca-eval.json" \
  2> "$work/zca-eval.err"
check --log "$work/zca-eval.err" "eval of final.h5 reproduces the test accuracy $(json '.[-1].test_accuracy' "$work/zca/metrics.jsonl") exactly" \
  jq -e -n --slurpfile m "$work/zca/metrics.jsonl" --slurpfile e "$work/zca-eval.json" '$e[0].accuracy == $m[-1].test_accuracy'
check "test accuracy > 0.55" json_true '.[-1].test_accuracy > 0.55' "$work/zca/metrics.jsonl"
"$tandem" inspect "$work/zca/final.h5" > "$work/zca-inspect.log" 2>&1
check --log "$work/zca-inspect.log" "final.h5 holds the preprocessing (inspect: 'preprocessing zca_whiten')" \
  grep -q "preprocessing zca_whiten" "$work/zca-inspect.log"

# --- --param-groups ---------------------------------------------------------------------------
mpi 2 "$tandem" train --data "$data" --model "$src/launch/models/mlp.model" --epochs 2 --train-limit 500 \
  --test-limit 100 --threads 1 --param-groups '*:lr_scale=0' --out "$work/frozen" > "$work/frozen.log" 2>&1
check --log "$work/frozen.log" "lr_scale=0 everywhere: train exits 0" test $? -eq 0
check --log "$work/frozen.log" "lr_scale=0 everywhere freezes every tensor: the same test loss after epochs 1 and 2 ($(json '.[0].test_loss' "$work/frozen/metrics.jsonl"))" \
  json_true 'length == 2 and .[0].test_loss == .[1].test_loss' "$work/frozen/metrics.jsonl"
mpi 2 "$tandem" train --data "$data" --model "$src/launch/models/mlp.model" --epochs 1 --train-limit 500 \
  --threads 1 --param-groups 'conv*:lr_scale=0' > "$work/nomatch.log" 2>&1
check --log "$work/nomatch.log" "a pattern matching no parameter: non-zero exit" test $? -ne 0
check --log "$work/nomatch.log" "a pattern matching no parameter: refused, listing the parameters" \
  grep -q "matches no parameter; the parameters are:.*dense_1.weight" "$work/nomatch.log"

# --- tandem hessian on 2 ranks (the MLP of the fixture setup_runs.sh) -------------------------
mpi 2 "$tandem" hessian --checkpoint "$shared/mlp/final.h5" --data "$data" --samples 300 --iterations 8 --threads 1 \
  > "$work/hessian.log" 2>&1
check --log "$work/hessian.log" "hessian: exit 0" test $? -eq 0
check --log "$work/hessian.log" "hessian: says it uses central differences of gradients" grep -q "central differences of gradients" "$work/hessian.log"
check --log "$work/hessian.log" "hessian: over 2 ranks" grep -q "over 2 rank" "$work/hessian.log"
check --log "$work/hessian.log" "hessian: 3 eigenvalue rows" test "$(awk 'NF == 3 && $1 ~ /^[0-9]+$/' "$work/hessian.log" | wc -l)" -eq 3
top=$(awk '$1 == 1 && NF == 3 { print $2 }' "$work/hessian.log")
check --log "$work/hessian.log" "hessian: top eigenvalue '$top' > 0" jq -e -n --argjson t "${top:-null}" '$t != null and $t > 0'

# --- L-BFGS: full-batch logistic regression ---------------------------------------------------
printf 'input 1 28 28\nflatten\ndense 10\n' > "$work/logreg.model"
mpi 2 "$tandem" train --data "$data" --model "$work/logreg.model" --optimizer lbfgs --weight-decay 1e-3 \
  --epochs 15 --train-limit 2000 --test-limit 1000 --eval-batch 500 --threads 1 > "$work/lbfgs.log" 2>&1
check --log "$work/lbfgs.log" "lbfgs: exit 0" test $? -eq 0
check --log "$work/lbfgs.log" "lbfgs: 15 iterations" grep -q "lbfgs iteration 15" "$work/lbfgs.log"
acc=$(awk '/^final test accuracy/ { print $4 }' "$work/lbfgs.log")
check --log "$work/lbfgs.log" "lbfgs: test accuracy '$acc' > 0.7" jq -e -n --argjson a "${acc:-null}" '$a != null and $a > 0.7'

# --- L-BFGS resumes with its curvature pairs: 3 + 3 iterations end where 6 do ------------------
lb=(--data "$data" --model "$work/logreg.model" --optimizer lbfgs --weight-decay 1e-3 --train-limit 1000
    --test-limit 200 --eval-batch 500 --threads 1)
mpi 2 "$tandem" train "${lb[@]}" --epochs 6 --out "$work/lb6" > "$work/lb6.log" 2>&1
check --log "$work/lb6.log" "6 L-BFGS iterations: exit 0" test $? -eq 0
mpi 2 "$tandem" train "${lb[@]}" --epochs 3 --out "$work/lb3" > "$work/lb3-first.log" 2>&1
check --log "$work/lb3-first.log" "3 L-BFGS iterations: exit 0" test $? -eq 0
mpi 2 "$tandem" train --resume "$work/lb3/ckpt-00000003.h5" --epochs 6 --out "$work/lb3" > "$work/lb3.log" 2>&1
check --log "$work/lb3.log" "resumed for 3 more: exit 0" test $? -eq 0
a=$(grep "lbfgs iteration 6" "$work/lb6.log") b=$(grep "lbfgs iteration 6" "$work/lb3.log")
same_line() { [ -n "$1" ] && [ "$1" = "$2" ]; }
check "lbfgs iteration 6 reports the same after 3 + 3 as after 6: '$a'" same_line "$a" "$b"
check "lbfgs resumed after 3 iterations ends bitwise where 6 uninterrupted iterations do" \
  h5_same "$work/lb6/final.h5" "$work/lb3/final.h5" /params

# --- loss hierarchical_softmax tree=huffman: the tree travels in final.h5 and checkpoints ----
hs=(--data "$data" --model "$src/launch/models/mlp-hsoftmax-huffman.model" --batch-size 64 --train-limit 1000
    --test-limit 500 --threads 1 --lr 0.05)
mpi 2 "$tandem" train "${hs[@]}" --epochs 3 --out "$work/hs3" > "$work/hs3.log" 2>&1
check --log "$work/hs3.log" "hierarchical softmax: train exits 0" test $? -eq 0
check "hierarchical softmax: test accuracy > 0.6" json_true '.[-1].test_accuracy > 0.6' "$work/hs3/metrics.jsonl"
mpi 2 "$tandem" eval --checkpoint "$work/hs3/final.h5" --data "$data" --limit 500 --json > "$work/hs-eval.json" \
  2> "$work/hs-eval.err"
check --log "$work/hs-eval.err" "hierarchical softmax: eval of final.h5 reproduces the test accuracy exactly" \
  jq -e -n --slurpfile m "$work/hs3/metrics.jsonl" --slurpfile e "$work/hs-eval.json" '$e[0].accuracy == $m[-1].test_accuracy'
mpi 2 "$tandem" train "${hs[@]}" --epochs 2 --out "$work/hs2" > "$work/hs2-first.log" 2>&1
ckpt=$(ls "$work"/hs2/ckpt-*.h5 2> /dev/null | tail -1)
mpi 2 "$tandem" train --resume "$ckpt" --epochs 3 --out "$work/hs2" > "$work/hs2.log" 2>&1
check --log "$work/hs2.log" "hierarchical softmax resumed from '$ckpt': exit 0" test $? -eq 0
check "hierarchical softmax resumed after 2 epochs ends bitwise where 3 uninterrupted epochs do" \
  h5_same "$work/hs3/final.h5" "$work/hs2/final.h5" /params
finish
