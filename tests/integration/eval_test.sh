#!/usr/bin/env bash
# Using trained models: `eval` (report, confusion matrix, the same on 1 and 2 ranks),
# ensembles of 3 models (mean and vote), `predict` (agreeing with eval), `inspect` and `plot`;
# a dataset converted from CSV, trained and evaluated with its class names.
# The models come from the fixture setup_runs.sh: the lifecycle run $shared/life2/full
# (final.h5, best.h5, checkpoints, metrics) and the MLP $shared/mlp.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
topic_start "$@"
run=$shared/life2/full
fin=$run/final.h5 best=$run/best.h5

# --- eval: the same report and confusion matrix on 1 and 2 ranks ----------------------------
mpi 2 "$tandem" eval --checkpoint "$fin" --data "$data" --limit 1000 --confusion-csv "$work/cm2.csv" --json \
  > "$work/e2.json" 2> "$work/e2.err"
check --log "$work/e2.err" "eval on 2 ranks exits 0" test $? -eq 0
mpi 1 "$tandem" eval --checkpoint "$fin" --data "$data" --limit 1000 --confusion-csv "$work/cm1.csv" --json \
  > "$work/e1.json" 2> "$work/e1.err"
check --log "$work/e1.err" "eval on 1 rank exits 0" test $? -eq 0
check "eval --json: 1,000 samples, precision and recall for 10 classes" \
  json_true '.[0] | .samples == 1000 and (.precision | length) == 10 and (.recall | length) == 10' "$work/e2.json"
check "eval --json: 10x10 confusion matrix counting the 1,000 samples" \
  json_true '.[0].confusion | length == 10 and all(.[]; length == 10) and (flatten | add) == 1000' "$work/e2.json"
check "eval report identical on 1 and 2 ranks" cmp -s "$work/e1.json" "$work/e2.json"
check "confusion CSV identical on 1 and 2 ranks" cmp -s "$work/cm1.csv" "$work/cm2.csv"
check "confusion CSV: a header and 10 rows" test "$(wc -l < "$work/cm2.csv")" -eq 11
check "confusion CSV: counts sum to 1,000" \
  test "$(tail -n +2 "$work/cm2.csv" | awk -F, '{ for (i = 2; i <= NF; i++) s += $i } END { print s }')" -eq 1000

# --- ensembles of 3 models on 2 ranks ------------------------------------------------------
for rule in mean vote; do
  mpi 2 "$tandem" eval --checkpoint "$fin" --checkpoint "$best" --checkpoint "$shared/mlp/final.h5" --ensemble $rule \
    --data "$data" --limit 1000 > "$work/ensemble-$rule.log" 2>&1
  check --log "$work/ensemble-$rule.log" "ensemble $rule: exit 0" test $? -eq 0
  check --log "$work/ensemble-$rule.log" "ensemble $rule of 3 models: 1000 samples, accuracy above 0.5" \
    grep -q "^ensemble ($rule) of .* 1000 samples .* accuracy 0\.[5-9]" "$work/ensemble-$rule.log"
done

# --- predict: probabilities, and predicted labels that reproduce eval's accuracy ------------
mpi 2 "$tandem" predict --checkpoint "$fin" --data "$data" --limit 1000 --out "$work/pred.h5" > "$work/pred.log" 2>&1
check --log "$work/pred.log" "predict exits 0" test $? -eq 0
check "predict: /probabilities {1000, 10}" h5_has "$work/pred.h5" /probabilities "{1000, 10}"
h5_ints "$work/pred.h5" /predicted > "$work/predicted.txt"
h5_ints "$work/pred.h5" /labels > "$work/labels.txt"
check "predict: 1000 predicted labels" test "$(wc -l < "$work/predicted.txt")" -eq 1000
check "predict: 1000 true labels" test "$(wc -l < "$work/labels.txt")" -eq 1000
acc_pred=$(paste "$work/predicted.txt" "$work/labels.txt" | awk '{ n++; r += ($1 == $2) } END { if (n) printf "%.4f", r / n }')
check "predict: accuracy of /predicted ($acc_pred) equals eval's ($(json '.[0].accuracy' "$work/e2.json"))" \
  jq -e -n --argjson p "${acc_pred:-null}" --slurpfile e "$work/e2.json" '$p != null and ($p - $e[0].accuracy | fabs) < 1e-4'

# --- inspect a checkpoint --------------------------------------------------------------------
last_ckpt=$(find "$run" -maxdepth 1 -name 'ckpt-*.h5' | sort | tail -1)
"$tandem" inspect "$last_ckpt" > "$work/inspect.log" 2>&1
check --log "$work/inspect.log" "inspect: exit 0" test $? -eq 0
check --log "$work/inspect.log" "inspect: dense_1 [256] with 200960 parameters" grep -q "dense_1 *dense *\[256\] *200960" "$work/inspect.log"
check --log "$work/inspect.log" "inspect: total 270346 parameters" grep -q "total 270346 parameters" "$work/inspect.log"
check --log "$work/inspect.log" "inspect: global step 87, optimizer nesterov" grep -q "global step 87, optimizer nesterov" "$work/inspect.log"
check --log "$work/inspect.log" "inspect: a 3-epoch history" test "$(grep -cE '^ +[123] +[0-9]+ ' "$work/inspect.log")" -eq 3
check --log "$work/inspect.log" "inspect: the configuration (batch-size = 64)" grep -q "batch-size = 64" "$work/inspect.log"

# --- plot the learning curves ----------------------------------------------------------------
"$tandem" plot --metrics "$run/metrics.jsonl" --out "$work/curves.png" > "$work/plot.log" 2>&1
check --log "$work/plot.log" "plot: exit 0" test $? -eq 0
check "plot: a PNG file" test "$(head -c 4 "$work/curves.png" 2> /dev/null | tail -c 3)" = PNG
check "plot: larger than 10,000 bytes" test "$(stat -c %s "$work/curves.png" 2> /dev/null || echo 0)" -gt 10000
# --- convert csv: three kinds of 2-D points, named; trained; eval reports the names ----------
awk 'BEGIN { srand(3); print "x1,x2,kind"
  for (i = 0; i < 600; i++) { c = i % 3
    printf "%.4f,%.4f,%s\n", 2 * c + rand(), 2 * (c == 1) + rand(), c == 0 ? "round" : c == 1 ? "long" : "flat" } }' \
  > "$work/points.csv"
"$tandem" convert csv "$work/points.csv" --out "$work/points.h5" --header --label-column kind --test-fraction 0.25 \
  > "$work/points-convert.log" 2>&1
check --log "$work/points-convert.log" "convert csv exits 0" test $? -eq 0
check --log "$work/points-convert.log" "convert csv: 600 rows, 3 classes" grep -q "600 rows, 3 classes" "$work/points-convert.log"
check "convert csv: 150 test rows, 50 of each class" h5_has "$work/points.h5" /test/x "{150, 2}"
printf 'input 2\ndense 16\nrelu\ndense 3\nloss softmax_cross_entropy\n' > "$work/points.model"
mpi 2 "$tandem" train --data "$work/points.h5" --model "$work/points.model" --epochs 15 --batch-size 30 --lr 0.2 \
  --threads 1 --out "$work/points" > "$work/points-train.log" 2>&1
check --log "$work/points-train.log" "training on the converted CSV exits 0" test $? -eq 0
mpi 1 "$tandem" eval --checkpoint "$work/points/final.h5" --data "$work/points.h5" > "$work/points-eval.log" 2>&1
acc=$(sed -n 's/.* 150 samples .* accuracy \([0-9.]*\)$/\1/p' "$work/points-eval.log")
check --log "$work/points-eval.log" "eval of the CSV model: 150 samples, accuracy ${acc:-?} above 0.9" \
  awk -v a="${acc:-0}" 'BEGIN { exit !(a > 0.9) }'
check --log "$work/points-eval.log" "eval names the classes (sorted: flat, long, round)" \
  grep -qz "flat .*long .*round " "$work/points-eval.log"
"$tandem" convert csv "$work/points.csv" --out "$work/bad.h5" --label-column kind --test-fraction 0.25 \
  > "$work/points-bad.log" 2>&1
check --log "$work/points-bad.log" "convert csv without --header: exit 2 naming the missing header" \
  test $? -eq 2 -a -n "$(grep "'kind' is not a column number" "$work/points-bad.log")"
check "convert csv error: no output file" test ! -e "$work/bad.h5"

finish
