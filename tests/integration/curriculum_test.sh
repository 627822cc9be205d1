#!/usr/bin/env bash
# Curriculum learning end to end (README "Techniques", "Curriculum learning"): `predict
# --per-sample-loss` of the fixture MLP writes /train/difficulty (each value -ln p(true class)
# of its /probabilities); `train --curriculum` on 2 ranks ranks by it, with epochs of exactly
# sum_c ceil(f(e) n_c) samples (which ones: tests/unit/data/curriculum_test.cpp); a streamed
# run, and a run stopped mid-curriculum and resumed after the difficulty file changed (the
# checkpoint's difficulties rule), are bitwise equal to the plain one; a missing, short or
# non-finite difficulty array and --hard-examples with --curriculum are refused.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
topic_start "$@"

# --- predict --per-sample-loss ----------------------------------------------------------------
diff=$work/difficulty.h5
mpi 2 "$tandem" predict --checkpoint "$shared/mlp/final.h5" --data "$data" --split train --limit 2000 \
  --per-sample-loss --out "$diff" > "$work/predict.log" 2>&1
check --log "$work/predict.log" "predict --per-sample-loss exits 0" test $? -eq 0
check "predict wrote /train/difficulty {2000}" h5_has "$diff" /train/difficulty "{2000}"
h5_floats "$diff" /train/difficulty > "$work/loss.txt"
h5_ints "$diff" /labels > "$work/labels.txt"
h5_floats "$diff" /probabilities | paste -d' ' - - - - - - - - - - > "$work/probs.txt"
# Each sample's loss against -ln of its probability of the true class.
check "every difficulty is -ln p(true class) (within 1e-4 + 1e-3 relative)" \
  awk 'NR == FNR { y[FNR] = $1; next } FILENAME == ARGV[2] { p[FNR] = $(y[FNR] + 1); next }
       { want = -log(p[FNR]); d = $1 - want; if (d < 0) d = -d; if (d > 1e-4 + 1e-3 * want) bad++; n++ }
       END { exit !(n == 2000 && bad == 0) }' "$work/labels.txt" "$work/probs.txt" "$work/loss.txt"

# --- train --curriculum: the epochs' sizes --------------------------------------------------
cur=(--data "$data" --model "$src/launch/models/mlp.model" --epochs 3 --batch-size 64 --train-limit 2000
     --test-limit 500 --threads 1 --seed 5 --lr 0.05 --curriculum linear --curriculum-start 0.3
     --curriculum-epochs 2 --difficulty "$diff" --log-every-steps 5)
mpi 2 "$tandem" train "${cur[@]}" --out "$work/full" > "$work/full.log" 2>&1
check --log "$work/full.log" "train --curriculum linear on 2 ranks exits 0" test $? -eq 0
# f = 0.3, 0.65, 1: the class counts of the first 2000 labels give the expected samples and steps.
# (ceil with the same 1e-9 slack as the sampler, so that 0.3 x 200 is 60).
read -r s0 s1 s2 <<< "$(awk 'function up(x) { x -= 1e-9; return int(x) + (x > int(x)) }
  { n[$1]++ } END { for (c in n) { a += up(0.3 * n[c]); b += up((0.3 + 0.7 / 2) * n[c]) } print a, b, 2000 }' \
  "$work/labels.txt")"
for e in 1 2 3; do
  s=$(eval echo "\$s$((e - 1))")
  check --log "$work/full.log" "epoch $e trains on the easiest $s of 2000 samples" \
    grep -q "curriculum: epoch $e trains on the easiest $s of 2000 samples" "$work/full.log"
done
steps=$(( (s0 + 63) / 64 + (s1 + 63) / 64 + (s2 + 63) / 64 ))
check "the run takes ceil(available / 64) steps per epoch: $steps in all" \
  json_true ".[-1].step == $steps" "$work/full/metrics.jsonl"

# --- streamed: the same run ----------------------------------------------------------------
mpi 2 "$tandem" train "${cur[@]}" --data-mode stream --out "$work/stream" > "$work/stream.log" 2>&1
check --log "$work/stream.log" "--data-mode stream: exits 0" test $? -eq 0
check "--data-mode stream: parameters bitwise equal to the in-memory run" \
  h5_same "$work/full/final.h5" "$work/stream/final.h5" /params

# --- stopped mid-curriculum and resumed: bitwise the uninterrupted run -----------------------
mpi 2 "$tandem" train "${cur[@]}" --out "$work/cut" --checkpoint-every 7steps --stop-after-steps 15 \
  > "$work/cut.log" 2>&1
check --log "$work/cut.log" "run stopped at step 15 exits 0" test $? -eq 0
cp "$work/cut/ckpt-00000014.h5" "$work/step14.h5"  # mid epoch 2, the curriculum growing
# The file now ranks otherwise (another model's losses): the checkpoint's difficulties rule.
mv "$diff" "$work/difficulty-used.h5"
mpi 2 "$tandem" predict --checkpoint "$shared/life2/full/final.h5" --data "$data" --split train --limit 2000 \
  --per-sample-loss --out "$diff" > "$work/predict-other.log" 2>&1
check --log "$work/predict-other.log" "another model's losses written to the --difficulty file" test $? -eq 0
mpi 2 "$tandem" train --resume "$work/step14.h5" --out "$work/cut" > "$work/resume.log" 2>&1
check --log "$work/resume.log" "resume from step 14 exits 0" test $? -eq 0
check --log "$work/resume.log" "resume: warns that the file differs and ranks by the checkpoint's difficulties" \
  grep -q "ranking by the checkpoint's" "$work/resume.log"
check "resumed: parameters bitwise equal to the uninterrupted run" h5_same "$work/full/final.h5" "$work/cut/final.h5" /params
check "resumed: metrics equal (all but the timing keys)" same_metrics "$work/full/metrics.jsonl" "$work/cut/metrics.jsonl"
check "resumed: steps.jsonl identical" cmp -s "$work/full/steps.jsonl" "$work/cut/steps.jsonl"

# --- refused ----------------------------------------------------------------------------------
short=$work/short.h5
mpi 1 "$tandem" predict --checkpoint "$shared/mlp/final.h5" --data "$data" --split train --limit 1000 \
  --per-sample-loss --out "$short" > "$work/short.log" 2>&1
# A difficulty array with a NaN in it (h5import from text).
awk 'BEGIN { for (i = 0; i < 2000; i++) print (i == 7 ? "nan" : i) }' > "$work/nan.txt"
printf 'PATH train/difficulty\nINPUT-CLASS TEXTFP\nRANK 1\nDIMENSION-SIZES 2000\nOUTPUT-CLASS FP\nOUTPUT-SIZE 32\n' \
  > "$work/nan.conf"
h5import "$work/nan.txt" -c "$work/nan.conf" -o "$work/nan.h5" > "$work/nan.log" 2>&1
check --log "$work/nan.log" "h5import wrote a difficulty array with a NaN" h5_has "$work/nan.h5" /train/difficulty "{2000}"
base=(--data "$data" --model "$src/launch/models/mlp.model" --train-limit 2000 --batch-size 64)
expect_error_bg "no /train/difficulty in --data" 2 "has no /train/difficulty" "${base[@]}" --curriculum step
expect_error_bg "1000 difficulties for 2000 samples" 2 "holds 1000 difficulties but the training split has 2000" \
  "${base[@]}" --curriculum linear --difficulty "$short"
expect_error_bg "a NaN difficulty" 2 "the difficulty of sample 7 is nan" "${base[@]}" --curriculum linear \
  --difficulty "$work/nan.h5"
expect_error_bg "--curriculum with --hard-examples" 2 "--curriculum and --hard-examples" "${base[@]}" \
  --curriculum linear --difficulty "$diff" --hard-examples 0.5
expect_error_bg "--curriculum-start 0" 2 "--curriculum-start must be in (0, 1]" "${base[@]}" --curriculum linear \
  --curriculum-start 0 --difficulty "$diff"
expect_error_bg "--difficulty without --curriculum" 2 "add --curriculum linear|step" "${base[@]}" --difficulty "$diff"
expect_error_results
finish
