#!/usr/bin/env bash
# Pre-training and fine-tuning end to end (README "Pre-training and fine-tuning"): two 5-class
# datasets from Fashion-MNIST with `tandem convert classes`, a CNN pre-trained on the first,
# fine-tuned on the second on 2 ranks with --init-from and the convolutions frozen (the report
# per node, frozen weights bitwise those of the source in final.h5, the freeze stored in the
# checkpoint and kept on resume), --init-map, and the errors.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
topic_start "$@"

# --- two datasets of five classes --------------------------------------------------------------
"$tandem" convert classes --from "$data" --keep 0,1,2,3,4 --out "$work/a.h5" > "$work/convert.log" 2>&1
check --log "$work/convert.log" "convert classes 0-4: exit 0, 30000 train / 5000 test rows" \
  grep -q "train 30000, test 5000" "$work/convert.log"
"$tandem" convert classes --from "$data" --keep 5,6,7,8,9 --out "$work/b.h5" > "$work/convert-b.log" 2>&1
check "classes 5-9 relabelled 0-4 (labels seen in /test/y of b.h5: 0 1 2 3 4 among them)" \
  test "$(h5dump -d /test/y -y -w 0 "$work/b.h5" | sed -n '/DATA {/,/}/p' | tr -c '0-9\n' ' ' | tr ' ' '\n' | grep -E '^[0-9]+$' | sort -un | tr '\n' ' ')" = "0 1 2 3 4 "
"$tandem" convert classes --from "$data" --keep 3,12 --out "$work/bad.h5" > "$work/convert-bad.log" 2>&1
check --log "$work/convert-bad.log" "convert classes --keep 3,12: refused, naming class 12" \
  grep -q "class 12 is out of range" "$work/convert-bad.log"

# --- pre-train, then fine-tune with the convolutions frozen ------------------------------------
common=(--batch-size 64 --test-limit 500 --lr 0.05)
mpi 2 "$tandem" train --data "$work/a.h5" --model "$src/launch/models/cnn5.model" --epochs 1 --train-limit 1500 \
  --threads 1 "${common[@]}" --out "$work/pre" > "$work/pre.log" 2>&1
check --log "$work/pre.log" "pre-training: exit 0" test $? -eq 0
ft=(--data "$work/b.h5" --model "$src/launch/models/cnn5-finetune.model" "${common[@]}")
mpi 2 "$tandem" train "${ft[@]}" --train-limit 1000 --threads 1 --epochs 1 --init-from "$work/pre/final.h5" --freeze 'conv2d_*' \
  --checkpoint-every 10steps --keep-last 10 --out "$work/ft" > "$work/ft.log" 2>&1
check --log "$work/ft.log" "fine-tuning: exit 0" test $? -eq 0
for line in "(model file): 3 node(s) copied, 0 renamed, 2 skipped" "  conv2d_1: copied" "  dense_1: copied" \
  "  head: skipped, absent in the source" "  dense_2 (source): skipped, absent in this model" \
  "frozen (--freeze): conv2d_1 conv2d_2 (18816 of 224389 parameters)"; do
  check --log "$work/ft.log" "report: '$line'" grep -qF -- "$line" "$work/ft.log"
done
check --log "$work/ft.log" "the report is printed once (rank 0)" test "$(grep -c '  conv2d_1: copied' "$work/ft.log")" -eq 1
for p in conv2d_1.weight conv2d_1.bias conv2d_2.weight conv2d_2.bias; do
  check "frozen /params/$p of final.h5 is bitwise the source's" \
    h5diff "$work/pre/final.h5" "$work/ft/final.h5" "/params/$p" "/params/$p"
done
check "trained /params/dense_1.weight differs from the source's" \
  not h5diff -q "$work/pre/final.h5" "$work/ft/final.h5" /params/dense_1.weight /params/dense_1.weight
ckpt=$(ls "$work"/ft/ckpt-*.h5 | head -1)
check "the checkpoint stores --freeze conv2d_*" grep -q 'conv2d_\*' <(h5dump -a /config/freeze "$ckpt")

# --- resume keeps the freeze -------------------------------------------------------------------
mpi 2 "$tandem" train --resume "$ckpt" --epochs 2 --out "$work/ft-resumed" > "$work/resume.log" 2>&1
check --log "$work/resume.log" "resume from $(basename "$ckpt") for 2 epochs: exit 0" test $? -eq 0
check --log "$work/resume.log" "the resumed run freezes conv2d_1 conv2d_2 again" grep -q "frozen (--freeze): conv2d_1 conv2d_2" "$work/resume.log"
check "after resuming, conv2d_2.weight is still the source's" \
  h5diff "$work/pre/final.h5" "$work/ft-resumed/final.h5" /params/conv2d_2.weight /params/conv2d_2.weight

# --- --init-map ------------------------------------------------------------------------------
mpi 2 "$tandem" train "${ft[@]}" --epochs 1 --threads 1 --train-limit 200 --init-from "$work/pre/final.h5" \
  --init-map dense_2=head > "$work/map.log" 2>&1
check --log "$work/map.log" "--init-map dense_2=head: head renamed" grep -qF "  head: renamed dense_2 -> head" "$work/map.log"

# --- errors ------------------------------------------------------------------------------------
expect_error_bg "--init-from with --resume" 2 "and --resume cannot be combined" --resume "$ckpt" \
  --init-from "$work/pre/final.h5"
expect_error_bg "--freeze matching nothing" 2 "--freeze pattern 'dense_9*' matches no node with parameters" \
  "${ft[@]}" --freeze 'dense_9*'
expect_error_bg "--init-map naming an absent node" 2 "--init-map: 'nope' is not a node of" "${ft[@]}" \
  --init-from "$work/pre/final.h5" --init-map nope=head
expect_error_bg "--init-from a dataset" 2 "is neither a tandem model file" "${ft[@]}" --init-from "$work/b.h5"
expect_error_bg "--init-map without --init-from" 2 "give --init-from MODEL.h5 too" "${ft[@]}" --init-map a=b
expect_error_results

finish
