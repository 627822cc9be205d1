#!/usr/bin/env bash
# The CLI end to end: convert Fashion-MNIST, train the MLP on a subset under mpirun -np 2,
# evaluate the saved model, and check every bad input of the foundation issue for its
# message and exit code (and that no rank hangs).
# usage: cli_test.sh TANDEM MAKE_FIXTURES SOURCE_DIR
set -u
tandem=$1 fixtures=$2 src=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_oob_tcp_if_include=lo OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_btl=self,vader,tcp
export OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_rmaps_base_oversubscribe=1
mpi() { timeout 120 mpirun -np 2 "$@"; }

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok: $1"; }
fail() { failed=$((failed + 1)); echo "FAIL: $1"; }

fmnist=/usr/share/datasets/fashion-mnist
data=$work/fm.h5
if "$tandem" convert idx --dir "$fmnist" --out "$data" > "$work/convert.log" 2>&1 && [ -f "$data" ]; then
  pass "convert idx"
else
  fail "convert idx: $(cat "$work/convert.log")"
fi

# --- training end to end on 4000 samples --------------------------------------------------
out=$work/run
mpi "$tandem" train --data "$data" --model "$src/launch/models/mlp.model" --epochs 3 --batch-size 64 \
  --lr 0.05 --train-limit 4000 --test-limit 2000 --seed 2 --threads 1 --out "$out" > "$work/train.log" 2>&1
rc=$?
if [ $rc -eq 0 ]; then pass "train exit code"; else fail "train exited $rc: $(tail -5 "$work/train.log")"; fi
if [ -f "$out/final.h5" ] && [ "$(wc -l < "$out/metrics.jsonl")" -eq 3 ]; then
  pass "final.h5 and three metrics lines"
else
  fail "outputs missing: $(ls "$out" 2>&1)"
fi
# Loss fell, accuracy well above chance (0.1), metrics carry the contract's keys.
if awk -v f="$out/metrics.jsonl" 'BEGIN {
      while ((getline line < f) > 0) {
        n++; match(line, /"train_loss": [0-9.e+-]+/); loss[n] = substr(line, RSTART + 14, RLENGTH - 14) + 0
        match(line, /"test_accuracy": [0-9.e+-]+/); acc = substr(line, RSTART + 17, RLENGTH - 17) + 0
        for (k in keys) {}
        split("epoch step train_loss test_loss test_accuracy lr seconds samples_per_s", req, " ")
        for (i in req) if (index(line, "\"" req[i] "\":") == 0) { print "missing key " req[i]; exit 1 }
      }
      if (!(loss[n] < loss[1] && loss[1] < 2.3)) { print "loss did not fall: " loss[1] " -> " loss[n]; exit 1 }
      if (!(acc > 0.7)) { print "accuracy " acc " not well above chance"; exit 1 }
    }'; then
  pass "loss fell and accuracy > 0.7"
else
  fail "learning check: $(cat "$out/metrics.jsonl")"
fi
# eval agrees with the last epoch's test accuracy, on 2 ranks.
json=$(mpi "$tandem" eval --checkpoint "$out/final.h5" --data "$data" --limit 2000 --json 2> "$work/eval.err")
want=$(tail -1 "$out/metrics.jsonl" | sed 's/.*"test_accuracy": \([0-9.e+-]*\).*/\1/')
got=$(echo "$json" | sed 's/.*"accuracy": \([0-9.e+-]*\).*/\1/')
if [ -n "$got" ] && awk -v a="$got" -v b="$want" 'BEGIN { exit !(a == b) }'; then
  pass "eval --json accuracy $got equals the training run's $want"
else
  fail "eval: got '$json' want accuracy $want ($(cat "$work/eval.err"))"
fi

# --- bad inputs: message, exit code, no hang -------------------------------------------------
"$fixtures" "$work"
cat > "$work/syntax.model" <<'SPEC'
input 1 28 28
flatten
dense 64 units
dense 10
SPEC
cat > "$work/unknown_op.model" <<'SPEC'
input 1 28 28
flatten
densely 64
SPEC
mlp=$src/launch/models/mlp.model
expect_error() {  # NAME EXIT_CODE MESSAGE_FRAGMENT ARGS...
  local name=$1 code=$2 fragment=$3
  shift 3
  mpi "$tandem" train --epochs 1 --threads 1 "$@" > "$work/err.log" 2>&1
  local rc=$?
  if [ $rc -eq 124 ]; then
    fail "$name: hung (timeout)"
  elif [ $rc -ne "$code" ]; then
    fail "$name: exit $rc, expected $code: $(grep -m2 tandem "$work/err.log")"
  elif ! grep -qF -- "$fragment" "$work/err.log"; then
    fail "$name: message lacks '$fragment': $(grep -m2 tandem "$work/err.log")"
  else
    pass "$name -> exit $code, '$fragment'"
  fi
}
expect_error "missing dataset" 1 "does not exist" --data "$work/nope.h5" --model "$mlp"
expect_error "no /train/x" 1 "has no '/train/x'" --data "$work/no_train.h5" --model "$mlp"
expect_error "x and y lengths" 1 "has 20 rows but /train/y has 19" --data "$work/length_mismatch.h5" --model "$mlp"
expect_error "label out of range" 2 "has label 12 but the model has only 10 outputs" --data "$work/label_12.h5" --model "$mlp"
expect_error "input shape" 2 "samples have shape [1, 14, 14] but the model's input is [1, 28, 28]" \
  --data "$work/small_images.h5" --model "$mlp"
expect_error "spec syntax" 2 "syntax.model:3: dense takes at most 1 positional argument" --data "$data" --model "$work/syntax.model"
expect_error "unknown op" 2 "unknown_op.model:3: unknown op 'densely'" --data "$data" --model "$work/unknown_op.model"
expect_error "unknown option" 2 "did you mean --epochs?" --data "$data" --model "$mlp" --epoch 3
expect_error "batch size 0" 2 "--batch-size must be positive" --data "$data" --model "$mlp" --batch-size 0
expect_error "negative lr" 2 "--lr must be positive" --data "$data" --model "$mlp" --lr -0.1
expect_error "batch < ranks" 2 "smaller than the number of ranks" --data "$data" --model "$mlp" --batch-size 1
expect_error "grad-sync mode" 2 "unknown --grad-sync 'fast'; use auto, blocking or bucketed" --data "$data" --model "$mlp" --grad-sync fast
expect_error "bn-sync mode" 2 "unknown --bn-sync 'none'; use global or local" --data "$data" --model "$mlp" --bn-sync none
expect_error "accumulate 0" 2 "--accumulate must be >= 1" --data "$data" --model "$mlp" --accumulate 0
expect_error "val-split 1" 2 "--val-split must be in [0, 1)" --data "$data" --model "$mlp" --val-split 1
expect_error "drop-last leaves nothing" 2 "leaves no batch" --data "$data" --model "$mlp" --train-limit 100 --batch-size 128 --drop-last

# --- data-parallel options end to end: validation split, accumulation, bucketed sync, local BN
out2=$work/run2
mpi "$tandem" train --data "$data" --model "$src/launch/models/mlp-bn.model" --epochs 2 --batch-size 32 \
  --accumulate 2 --grad-sync bucketed --bn-sync local --val-split 0.1 --train-limit 4000 --test-limit 1000 \
  --threads 1 --out "$out2" > "$work/train2.log" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q '"val_accuracy"' "$out2/metrics.jsonl" &&
  grep -q "3600 train / 400 validation / 1000 test" "$work/train2.log" &&
  grep -q "global batch 64, per rank 32 at most in 2 micro-batches of 16" "$work/train2.log" &&
  grep -q "gradient sync bucketed" "$work/train2.log"; then
  pass "val split, accumulation, bucketed sync and local batch norm run end to end"
else
  fail "data-parallel options (exit $rc): $(grep -E 'tandem|error|epoch|global' "$work/train2.log" | head -5)"
fi

# --- lifecycle: stop mid-epoch, resume bitwise; other rank counts; refused resumes ---------
life=(--data "$data" --model "$src/launch/models/mlp-bn.model" --epochs 3 --batch-size 64 --train-limit 2000
      --test-limit 500 --val-split 0.1 --optimizer nesterov --lr 0.02 --threads 1 --seed 4)
same_params() { h5diff -q "$1" "$2" /params > /dev/null 2>&1 && h5diff -q "$1" "$2" /state > /dev/null 2>&1; }
for ranks in 1 2; do
  l=$work/life$ranks
  timeout 120 mpirun -np $ranks "$tandem" train "${life[@]}" --out "$l/full" --log-every-steps 10 > "$l.full.log" 2>&1
  timeout 120 mpirun -np $ranks "$tandem" train "${life[@]}" --out "$l/cut" --log-every-steps 10 --checkpoint-every 20steps \
    --stop-after-steps 45 > "$l.cut.log" 2>&1
  # Stopped at 45, then continued from 40: the step lines still match the uninterrupted run.
  rm "$l/cut/ckpt-00000045.h5"
  ckpt=$l/step40.h5  # kept aside: the resumed run prunes OUT to its last 2 checkpoints
  cp "$l/cut/ckpt-00000040.h5" "$ckpt"
  timeout 120 mpirun -np $ranks "$tandem" train --resume "$ckpt" --out "$l/cut" > "$l.resume.log" 2>&1
  # 1,800 training samples in batches of 64: 29 per epoch, so step 40 is batch 11 of epoch 2.
  if grep -q "epoch 2, batch 11, global step 40" "$l.resume.log" &&
    same_params "$l/full/final.h5" "$l/cut/final.h5" &&
    diff <(sed 's/"seconds.*//' "$l/full/metrics.jsonl") <(sed 's/"seconds.*//' "$l/cut/metrics.jsonl") > /dev/null &&
    cmp -s "$l/full/steps.jsonl" "$l/cut/steps.jsonl" && cmp -s "$l/full/steps.csv" "$l/cut/steps.csv" &&
    [ "$(wc -l < "$l/full/steps.jsonl")" -eq 8 ]; then
    pass "stopped mid-epoch 2 and resumed from step 40 on $ranks rank(s): parameters, running statistics, metrics and step logs equal"
  else
    fail "bitwise resume on $ranks rank(s): $(grep -hE 'error|resum' "$l".*.log | head -3)"
  fi
done
[ -f "$work/life2/full/best.h5" ] && [ "$(wc -l < "$work/life2/full/metrics.csv")" -eq 4 ] &&
  [ "$(ls "$work/life2/full" | grep -c '^ckpt-')" -eq 2 ] &&
  pass "best.h5, metrics.csv and the last 2 checkpoints in OUT" || fail "lifecycle files: $(ls "$work/life2/full")"
# Another rank count continues with the same global batches: equal up to summation order.
for ranks in 1 3; do
  d=$work/life_other$ranks
  mkdir -p "$d" && cp "$work/life2/step40.h5" "$d/ckpt-00000040.h5"
  timeout 120 mpirun -np $ranks "$tandem" train --resume "$d/ckpt-00000040.h5" --out "$d" > "$d.log" 2>&1
  if h5diff -q --delta=1e-4 "$work/life2/full/final.h5" "$d/final.h5" /params > /dev/null 2>&1 &&
    grep -q "written by 2 rank(s)" "$d.log"; then
    pass "a 2-rank checkpoint resumed on $ranks rank(s) ends within 1e-4 of the uninterrupted run"
  else
    fail "resume on $ranks rank(s): $(grep -E 'error' "$d.log" | head -2; h5diff --delta=1e-4 "$work/life2/full/final.h5" "$d/final.h5" /params 2>&1 | tail -2)"
  fi
done
ckpt=$work/life2/step40.h5
mpi "$tandem" train --resume "$ckpt" --model "$src/launch/models/mlp.model" --out "$work/r1" > "$work/r1.log" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "written for a different model or dataset" "$work/r1.log" && grep -q "batchnorm" "$work/r1.log" &&
  pass "resume with another model refused, listing the spec difference" || fail "other model on resume (exit $rc): $(grep -m2 tandem "$work/r1.log")"
mpi "$tandem" train --resume "$ckpt" --batch-size 32 --seed 5 --out "$work/r2" > "$work/r2.log" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q -- "--batch-size (checkpoint 64, now 32)" "$work/r2.log" && grep -q -- "--seed (checkpoint 4, now 5)" "$work/r2.log" &&
  pass "resume refuses to change --batch-size and --seed, naming both" || fail "option change on resume (exit $rc): $(grep -m3 -A2 tandem "$work/r2.log")"
mpi "$tandem" train --resume "$ckpt" --epochs 4 --lr 0.005 --out "$work/r3" > "$work/r3.log" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q -- "resume changes --lr: 0.02 -> 0.005" "$work/r3.log" && grep -q "^epoch 4/4" "$work/r3.log" &&
  pass "resume may change --epochs and --lr and reports it" || fail "allowed change on resume (exit $rc): $(grep -m3 -E 'tandem|epoch' "$work/r3.log")"
mpi "$tandem" train --resume "$work/run/final.h5" --out "$work/r4" > "$work/r4.log" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "is not a tandem checkpoint" "$work/r4.log" &&
  pass "resuming from a model file is refused" || fail "resume from final.h5 (exit $rc): $(grep -m2 tandem "$work/r4.log")"

# Preemption: SIGTERM to the ranks -> a checkpoint at the next step, clean exit, resumable.
sig=$work/sig
timeout 120 mpirun -np 2 "$tandem" train --data "$data" --model "$src/launch/models/mlp.model" --epochs 50 \
  --train-limit 4000 --test-limit 200 --threads 1 --checkpoint-every 0 --out "$sig" > "$sig.log" 2>&1 &
job=$!
for _ in $(seq 100); do grep -q "^epoch 2/" "$sig.log" 2> /dev/null && break; sleep 0.2; done
pkill -TERM -f "^$tandem train" || true
wait $job
rc=$?
ckpt=$(ls "$sig"/ckpt-*.h5 2> /dev/null | tail -1)
if [ $rc -eq 0 ] && grep -q "(SIGTERM/SIGUSR1); resume with --resume" "$sig.log" && [ -n "$ckpt" ] &&
  mpi "$tandem" train --resume "$ckpt" --epochs 6 > "$sig.resume.log" 2>&1 && grep -q "^final test accuracy" "$sig.resume.log"; then
  pass "SIGTERM: checkpoint at the next step, exit 0, and the checkpoint resumes"
else
  fail "SIGTERM (exit $rc): $(tail -2 "$sig.log") $(tail -2 "$sig.resume.log" 2> /dev/null)"
fi

# --- eval report, ensembles, predict, inspect, plot --------------------------------------------
fin=$work/life2/full/final.h5 best=$work/life2/full/best.h5
mpi "$tandem" eval --checkpoint "$fin" --data "$data" --limit 1000 --confusion-csv "$work/cm2.csv" --json > "$work/e2.json" 2> "$work/e2.err"
timeout 120 mpirun -np 1 "$tandem" eval --checkpoint "$fin" --data "$data" --limit 1000 --confusion-csv "$work/cm1.csv" --json > "$work/e1.json" 2>&1
if [ -s "$work/e2.json" ] && cmp -s "$work/e1.json" "$work/e2.json" && cmp -s "$work/cm1.csv" "$work/cm2.csv" &&
  grep -q '"precision": \[' "$work/e2.json" && [ "$(wc -l < "$work/cm2.csv")" -eq 11 ] &&
  [ "$(tail -n +2 "$work/cm2.csv" | tr ',' '\n' | awk 'NR % 11 != 1 { s += $1 } END { print s }')" -eq 1000 ]; then
  pass "eval: report and 10x10 confusion matrix (1,000 samples) identical on 1 and 2 ranks"
else
  fail "eval report: $(head -c 300 "$work/e2.json") $(cat "$work/e2.err")"
fi
for rule in mean vote; do
  mpi "$tandem" eval --checkpoint "$fin" --checkpoint "$best" --checkpoint "$work/run/final.h5" --ensemble $rule \
    --data "$data" --limit 1000 > "$work/ens.log" 2>&1
  rc=$?
  [ $rc -eq 0 ] && grep -q "^ensemble ($rule) of .* 1000 samples .* accuracy 0\.[5-9]" "$work/ens.log" &&
    pass "ensemble $rule of 3 models on 2 ranks" || fail "ensemble $rule (exit $rc): $(head -3 "$work/ens.log")"
done
mpi "$tandem" predict --checkpoint "$fin" --data "$data" --limit 1000 --out "$work/pred.h5" > "$work/pred.log" 2>&1
rc=$?
values() { h5dump -d "$1" -y -w 0 "$work/pred.h5" 2> /dev/null | sed -n '/DATA {/,/}/p' | tr -s ' ,' '\n\n' | grep -E '^[0-9]+$'; }
acc_pred=$(values /predicted > "$work/p.txt"; values /labels > "$work/l.txt";
           paste "$work/p.txt" "$work/l.txt" | awk '{ n++; r += ($1 == $2) } END { if (n) printf "%.4f", r / n }')
acc_eval=$(sed 's/.*"accuracy": \([0-9.e+-]*\).*/\1/' "$work/e2.json")
if [ $rc -eq 0 ] && [ "$(wc -l < "$work/p.txt")" -eq 1000 ] && h5ls "$work/pred.h5" | grep -q "probabilities.*{1000, 10}" &&
  awk -v a="$acc_pred" -v b="$acc_eval" 'BEGIN { exit !(a - b < 1e-4 && b - a < 1e-4) }'; then
  pass "predict: /probabilities {1000, 10}, /predicted agreeing with eval's accuracy $acc_eval"
else
  fail "predict (exit $rc): accuracy '$acc_pred' vs eval '$acc_eval': $(cat "$work/pred.log" | head -3)"
fi
"$tandem" inspect "$work/life2/full/$(ls "$work/life2/full" | grep '^ckpt-' | tail -1)" > "$work/inspect.log" 2>&1
if grep -q "dense_1 *dense *\[256\] *200960" "$work/inspect.log" && grep -q "total 270346 parameters" "$work/inspect.log" &&
  grep -q "global step 87, optimizer nesterov" "$work/inspect.log" && [ "$(grep -cE '^ +[123] +[0-9]+ ' "$work/inspect.log")" -eq 3 ] &&
  grep -q "batch-size = 64" "$work/inspect.log"; then
  pass "inspect: nodes with shapes and parameter counts, training state, 3-epoch history, configuration"
else
  fail "inspect: $(head -20 "$work/inspect.log")"
fi
"$tandem" plot --metrics "$work/life2/full/metrics.jsonl" --out "$work/curves.png" > "$work/plot.log" 2>&1
rc=$?
[ $rc -eq 0 ] && [ "$(head -c 4 "$work/curves.png" | tail -c 3)" = PNG ] && [ "$(stat -c %s "$work/curves.png")" -gt 10000 ] &&
  pass "plot: learning curves PNG" || fail "plot (exit $rc): $(cat "$work/plot.log")"

# --- diagnostics: overfitting a few batches, the initial-loss check -----------------------
mpi "$tandem" train --data "$data" --model "$src/launch/models/cnn-bn.model" --epochs 40 --overfit-batches 2 \
  --batch-size 32 --lr 0.05 --test-limit 200 --threads 1 --weight-decay 0.1 > "$work/overfit.log" 2>&1
last=$(grep "^epoch 40/40" "$work/overfit.log" | sed 's/.*train_loss \([0-9.]*\).*/\1/')
[ -n "$last" ] && awk -v l="$last" 'BEGIN { exit !(l < 0.05) }' &&
  pass "--overfit-batches 2: training loss $last after 40 epochs (dropout and weight decay off)" ||
  fail "overfit: final training loss '$last': $(tail -2 "$work/overfit.log")"
printf 'input 1 28 28\nflatten\ndense 10 init=orthogonal:30\n' > "$work/hot.model"
mpi "$tandem" train --data "$data" --model "$work/hot.model" --epochs 1 --train-limit 500 --test-limit 100 \
  --threads 1 > "$work/hot.log" 2>&1
grep -q "far from ln(10) = 2.303" "$work/hot.log" && ! grep -q "far from ln" "$work/overfit.log" &&
  pass "a first loss far from ln(C) is warned about (and a normal one is not)" || fail "initial-loss warning: $(grep -i 'first\|far' "$work/hot.log")"

"$tandem" gradcheck --model "$src/launch/models/cnn-bn.model" --data "$data" > "$work/gc.log" 2>&1
rc=$?
"$tandem" gradcheck --model "$src/launch/models/mlp.model" --data "$data" --threshold 1e-9 > "$work/gc2.log" 2>&1
rc2=$?
[ $rc -eq 0 ] && grep -q "^conv2d_1.weight" "$work/gc.log" && grep -q "^worst relative error" "$work/gc.log" &&
  [ $rc2 -eq 1 ] && grep -q "gradient check failed" "$work/gc2.log" &&
  pass "gradcheck: cnn-bn within its threshold; exit 1 above a threshold" ||
  fail "gradcheck (exit $rc, $rc2): $(tail -3 "$work/gc.log")"

# --- preprocessing and augmentation: whitening fitted in training, stored in final.h5 and
# applied again by eval; augmentation in training only (eval reproduces the logged accuracy)
pre=$work/zca
mpi "$tandem" train --data "$data" --model "$src/launch/models/mlp.model" --epochs 2 --batch-size 64 \
  --train-limit 2000 --test-limit 1000 --threads 1 --preprocess zca_whiten --whiten-eps 0.1 \
  --augment flip,crop:2 --lr 0.05 --out "$pre" > "$work/zca.log" 2>&1
want=$(tail -1 "$pre/metrics.jsonl" 2>/dev/null | sed 's/.*"test_accuracy": \([0-9.e+-]*\).*/\1/')
got=$(mpi "$tandem" eval --checkpoint "$pre/final.h5" --data "$data" --limit 1000 --json 2>&1 |
  sed 's/.*"accuracy": \([0-9.e+-]*\).*/\1/')
[ -n "$want" ] && [ "$got" = "$want" ] && "$tandem" inspect "$pre/final.h5" | grep -q "preprocessing zca_whiten" &&
  awk -v a="$want" 'BEGIN { exit !(a > 0.55) }' &&
  pass "--preprocess zca_whiten --augment flip,crop:2: eval of final.h5 reproduces test accuracy $want" ||
  fail "preprocessing: train $want, eval '$got': $(tail -2 "$work/zca.log")"

# --- parameter groups: lr_scale=0 everywhere freezes the model; a pattern matching nothing is refused
mpi "$tandem" train --data "$data" --model "$src/launch/models/mlp.model" --epochs 2 --train-limit 500 \
  --test-limit 100 --threads 1 --param-groups '*:lr_scale=0' > "$work/frozen.log" 2>&1
l1=$(grep "^epoch 1/2" "$work/frozen.log" | sed 's/.*test_loss \([0-9.]*\).*/\1/')
l2=$(grep "^epoch 2/2" "$work/frozen.log" | sed 's/.*test_loss \([0-9.]*\).*/\1/')
mpi "$tandem" train --data "$data" --model "$src/launch/models/mlp.model" --epochs 1 --train-limit 500 \
  --threads 1 --param-groups 'conv*:lr_scale=0' > "$work/nomatch.log" 2>&1
rc=$?
[ -n "$l1" ] && [ "$l1" = "$l2" ] && [ $rc -ne 0 ] && grep -q "matches no parameter; the parameters are:.*dense_1.weight" "$work/nomatch.log" &&
  pass "--param-groups: lr_scale=0 freezes every tensor (test loss $l1 twice); unmatched pattern refused" ||
  fail "param groups: '$l1' '$l2' rc $rc: $(tail -2 "$work/nomatch.log")"

# --- tandem hessian under 2 ranks, and L-BFGS end to end ------------------------------------
mpi "$tandem" hessian --checkpoint "$out/final.h5" --data "$data" --samples 300 --iterations 8 --threads 1 \
  > "$work/hess.log" 2>&1
top=$(awk '$1 == 1 && NF == 3 { print $2 }' "$work/hess.log")
grep -q "central differences of gradients" "$work/hess.log" && grep -q "over 2 rank" "$work/hess.log" &&
  [ "$(awk 'NF == 3 && $1 ~ /^[0-9]+$/' "$work/hess.log" | wc -l)" -eq 3 ] &&
  awk -v t="$top" 'BEGIN { exit !(t > 0) }' &&
  pass "hessian: top eigenvalue $top by Lanczos on 2 ranks" || fail "hessian: $(cat "$work/hess.log")"
printf 'input 1 28 28\nflatten\ndense 10\n' > "$work/logreg.model"
mpi "$tandem" train --data "$data" --model "$work/logreg.model" --optimizer lbfgs --weight-decay 1e-3 \
  --epochs 15 --train-limit 2000 --test-limit 1000 --eval-batch 500 --threads 1 > "$work/lbfgs.log" 2>&1
acc=$(grep "^final test accuracy" "$work/lbfgs.log" | awk '{ print $4 }')
[ -n "$acc" ] && grep -q "lbfgs iteration 15" "$work/lbfgs.log" && awk -v a="$acc" 'BEGIN { exit !(a > 0.7) }' &&
  pass "lbfgs: 15 full-batch iterations of logistic regression, test accuracy $acc" ||
  fail "lbfgs: $(tail -3 "$work/lbfgs.log")"

# L-BFGS resumes with its curvature pairs: 3 + 3 iterations end where 6 do.
lb="--data $data --model $work/logreg.model --optimizer lbfgs --weight-decay 1e-3 --train-limit 1000 --test-limit 200 --eval-batch 500 --threads 1"
mpi "$tandem" train $lb --epochs 6 --out "$work/lb6" > "$work/lb6.log" 2>&1
mpi "$tandem" train $lb --epochs 3 --out "$work/lb3" > /dev/null 2>&1
mpi "$tandem" train --resume "$work/lb3/ckpt-00000003.h5" --epochs 6 --out "$work/lb3" > "$work/lb3.log" 2>&1
a=$(grep "lbfgs iteration 6" "$work/lb6.log") b=$(grep "lbfgs iteration 6" "$work/lb3.log")
[ -n "$a" ] && [ "$a" = "$b" ] && h5diff "$work/lb6/final.h5" "$work/lb3/final.h5" /params /params > /dev/null &&
  pass "lbfgs resumed after 3 iterations ends bitwise where 6 uninterrupted iterations do" ||
  fail "lbfgs resume: '$a' vs '$b'"

# --- multi-input, multi-label and multi-output models on the image-pairs example ------------
pairs=$work/pairs.h5
"$tandem" convert pairs --from "$data" --out "$pairs" --limit 3000 > "$work/pairs.log" 2>&1 &&
  h5ls -r "$pairs" | grep -q "/train/y/present.*{3000, 10}" &&
  pass "convert pairs: x/left, x/right, y/left, y/right, y/present" || fail "convert pairs: $(cat "$work/pairs.log")"
# Multi-label: per-label accuracy must beat predicting every label off (1 - 1.9/10 = 0.81).
mpi "$tandem" train --data "$pairs" --model "$src/launch/models/pairs-multilabel.model" --epochs 3 --batch-size 64 \
  --lr 0.05 --optimizer momentum --test-limit 1000 --threads 1 --out "$work/ml" > "$work/ml.log" 2>&1
acc=$(grep "^final test accuracy" "$work/ml.log" | awk '{ print $4 }')
[ -n "$acc" ] && awk -v a="$acc" 'BEGIN { exit !(a > 0.86) }' &&
  pass "multi-input multi-label (bce_logits): test per-label accuracy $acc > 0.86" ||
  fail "multi-label training: $(tail -3 "$work/ml.log")"
# Multi-output: three weighted losses; the metrics carry each one's test loss, and eval
# reproduces the weighted test loss from final.h5.
mpi "$tandem" train --data "$pairs" --model "$src/launch/models/pairs-multitask.model" --epochs 3 --batch-size 64 \
  --lr 0.05 --optimizer momentum --test-limit 1000 --threads 1 --out "$work/mt" > "$work/mt.log" 2>&1
line=$(tail -1 "$work/mt/metrics.jsonl" 2>/dev/null)
acc=$(echo "$line" | sed 's/.*"test_accuracy": \([0-9.e+-]*\).*/\1/')
want=$(echo "$line" | sed 's/.*"test_loss": \([0-9.e+-]*\).*/\1/')
parts=$(echo "$line" | sed 's/.*"test_loss_left_class": \([0-9.e+-]*\), "test_loss_right_class": \([0-9.e+-]*\), "test_loss_present": \([0-9.e+-]*\).*/\1 \2 \3/')
json=$(mpi "$tandem" eval --checkpoint "$work/mt/final.h5" --data "$pairs" --limit 1000 --json 2> "$work/mt_eval.err")
got=$(echo "$json" | sed 's/.*"loss": \([0-9.e+-]*\).*/\1/')
awk -v a="$acc" -v w="$want" -v g="$got" -v p="$parts" 'BEGIN { split(p, h, " ");
    exit !(a > 0.7 && (h[1] + h[2] + 0.5 * h[3] - w) ^ 2 < 1e-8 && (g - w) ^ 2 < 1e-8) }' &&
  pass "multi-output: left-class accuracy $acc, test loss $want = sum of weighted losses ($parts) = eval's $got" ||
  fail "multi-output: acc '$acc' loss '$want' parts '$parts' eval '$got' $(tail -3 "$work/mt.log") $(cat "$work/mt_eval.err")"
mpi "$tandem" predict --checkpoint "$work/mt/final.h5" --data "$pairs" --limit 50 --out "$work/mt_pred.h5" > /dev/null 2>&1 &&
  h5ls -r "$work/mt_pred.h5" | grep -q "/present/predicted.*{50, 10}" &&
  h5ls -r "$work/mt_pred.h5" | grep -q "/left_class/probabilities.*{50, 10}" &&
  pass "predict writes one group per output" || fail "predict multi-output: $(h5ls -r "$work/mt_pred.h5" 2>&1)"
# A two-input model on a one-input dataset names the layout it needs.
expect_error "two inputs, one x" 2 "but the model has 2 inputs; store one array per input in a group: /SPLIT/x/NAME" \
  --data "$data" --model "$src/launch/models/pairs-multilabel.model"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
