#!/usr/bin/env bash
# The training lifecycle (README "Training lifecycle"): a run stopped mid-epoch and resumed
# equals the uninterrupted run bitwise on 1 and 2 ranks; OUT holds best.h5, metrics.csv and
# the last 2 checkpoints; a 2-rank checkpoint resumed on 1 and 3 ranks ends within 1e-4 of
# the uninterrupted run; resumes with another model, another --batch-size/--seed or from a
# model file are refused; --epochs and --lr may change and are reported.
# The uninterrupted 2-rank run comes from the fixture setup_runs.sh ($shared/life2/full).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
topic_start "$@"
life_options   # the same options as the fixture's run: --epochs 3 --batch-size 64 ...

# --- stopped at step 45, resumed from step 40: equal to the uninterrupted run ----------------
# 1,800 training samples in batches of 64: 29 per epoch, so step 40 is batch 11 of epoch 2.
for ranks in 1 2; do
  l=$work/life$ranks
  if [ "$ranks" -eq 2 ]; then
    full=$shared/life2/full
  else
    full=$l/full
    mpi 1 "$tandem" train "${life[@]}" --out "$full" > "$l.full.log" 2>&1
    check --log "$l.full.log" "uninterrupted run on 1 rank exits 0" test $? -eq 0
  fi
  mpi "$ranks" "$tandem" train "${life[@]}" --out "$l/cut" --checkpoint-every 20steps --stop-after-steps 45 \
    > "$l.cut.log" 2>&1
  check --log "$l.cut.log" "$ranks rank(s): run stopped by --stop-after-steps 45 exits 0" test $? -eq 0
  check "$ranks rank(s): checkpoints of steps 40 and 45 in OUT" test -f "$l/cut/ckpt-00000040.h5" -a -f "$l/cut/ckpt-00000045.h5"
  # --resume DIR continues the newest checkpoint there (45), ending where the uninterrupted run does.
  if [ "$ranks" -eq 2 ]; then
    cp -r "$l/cut" "$l/bydir"
    mpi 2 "$tandem" train --resume "$l/bydir" --out "$l/bydir" > "$l.bydir.log" 2>&1
    check --log "$l.bydir.log" "--resume DIR: exits 0" test $? -eq 0
    check --log "$l.bydir.log" "--resume DIR: names the newest checkpoint" \
      grep -qF "resuming from $l/bydir/ckpt-00000045.h5" "$l.bydir.log"
    check --log "$l.bydir.log" "--resume DIR: resumed at global step 45" grep -q "global step 45" "$l.bydir.log"
    check "--resume DIR: parameters bitwise equal to the uninterrupted run" \
      h5_same "$full/final.h5" "$l/bydir/final.h5" /params /state
  fi
  # Continue from 40, not 45: the step lines in between must be recomputed identically.
  rm -f "$l/cut/ckpt-00000045.h5"
  cp "$l/cut/ckpt-00000040.h5" "$l/step40.h5"  # kept aside: the resumed run prunes OUT to its last 2 checkpoints
  mpi "$ranks" "$tandem" train --resume "$l/step40.h5" --out "$l/cut" > "$l.resume.log" 2>&1
  check --log "$l.resume.log" "$ranks rank(s): resume exits 0" test $? -eq 0
  check --log "$l.resume.log" "$ranks rank(s): resumed at epoch 2, batch 11, global step 40" \
    grep -q "epoch 2, batch 11, global step 40" "$l.resume.log"
  check "$ranks rank(s): parameters and running statistics bitwise equal" h5_same "$full/final.h5" "$l/cut/final.h5" /params /state
  check "$ranks rank(s): metrics equal (all but the timing keys)" \
    jq -e -n --slurpfile a "$full/metrics.jsonl" --slurpfile b "$l/cut/metrics.jsonl" \
    '($a | map(del(.seconds, .samples_per_s, .grad_wait_s))) == ($b | map(del(.seconds, .samples_per_s, .grad_wait_s)))'
  check "$ranks rank(s): steps.jsonl identical" cmp -s "$full/steps.jsonl" "$l/cut/steps.jsonl"
  check "$ranks rank(s): steps.csv identical" cmp -s "$full/steps.csv" "$l/cut/steps.csv"
  check "$ranks rank(s): 8 step lines (every 10 of 87 steps)" json_true 'length == 8' "$full/steps.jsonl"
done

# --- what OUT holds ----------------------------------------------------------------------------
full=$shared/life2/full
check "best.h5 in OUT" test -f "$full/best.h5"
check "metrics.csv: a header and 3 rows" test "$(wc -l < "$full/metrics.csv")" -eq 4
check "--keep-last 2: two checkpoints in OUT" test "$(find "$full" -maxdepth 1 -name 'ckpt-*.h5' | wc -l)" -eq 2

# --- another rank count continues with the same global batches: equal up to summation order --
for ranks in 1 3; do
  d=$work/other$ranks
  mkdir -p "$d" && cp "$work/life2/step40.h5" "$d/ckpt-00000040.h5"
  mpi "$ranks" "$tandem" train --resume "$d/ckpt-00000040.h5" --out "$d" > "$d.log" 2>&1
  check --log "$d.log" "2-rank checkpoint resumed on $ranks rank(s): exits 0" test $? -eq 0
  check --log "$d.log" "2-rank checkpoint resumed on $ranks rank(s): says it was written by 2 rank(s)" \
    grep -q "written by 2 rank(s)" "$d.log"
  check "2-rank checkpoint resumed on $ranks rank(s): parameters within 1e-4 of the uninterrupted run" \
    h5_within 1e-4 "$full/final.h5" "$d/final.h5" /params
done

# --- refused resumes (exit 2), allowed changes ------------------------------------------------
ckpt=$work/life2/step40.h5
mpi 2 "$tandem" train --resume "$ckpt" --model "$src/launch/models/mlp.model" --out "$work/r1" > "$work/r1.log" 2>&1
check --log "$work/r1.log" "resume with another model: exit 2" test $? -eq 2
check --log "$work/r1.log" "resume with another model: 'written for a different model or dataset'" \
  grep -q "written for a different model or dataset" "$work/r1.log"
check --log "$work/r1.log" "resume with another model: lists the spec difference (batchnorm)" grep -q "batchnorm" "$work/r1.log"

mpi 2 "$tandem" train --resume "$ckpt" --batch-size 32 --seed 5 --out "$work/r2" > "$work/r2.log" 2>&1
check --log "$work/r2.log" "resume changing --batch-size and --seed: exit 2" test $? -eq 2
check --log "$work/r2.log" "names --batch-size (checkpoint 64, now 32)" grep -qF -- "--batch-size (checkpoint 64, now 32)" "$work/r2.log"
check --log "$work/r2.log" "names --seed (checkpoint 4, now 5)" grep -qF -- "--seed (checkpoint 4, now 5)" "$work/r2.log"

mpi 2 "$tandem" train --resume "$ckpt" --epochs 4 --lr 0.005 --out "$work/r3" > "$work/r3.log" 2>&1
check --log "$work/r3.log" "resume changing --epochs and --lr: exit 0" test $? -eq 0
check --log "$work/r3.log" "reports 'resume changes --lr: 0.02 -> 0.005'" grep -qF -- "resume changes --lr: 0.02 -> 0.005" "$work/r3.log"
check --log "$work/r3.log" "trains on to epoch 4/4" grep -q "^epoch 4/4" "$work/r3.log"

mpi 2 "$tandem" train --resume "$shared/mlp/final.h5" --out "$work/r4" > "$work/r4.log" 2>&1
check --log "$work/r4.log" "resume from a model file (final.h5): exit 2" test $? -eq 2
check --log "$work/r4.log" "resume from a model file: 'is not a tandem checkpoint'" grep -q "is not a tandem checkpoint" "$work/r4.log"

mkdir -p "$work/r5" && cp "$shared/mlp/final.h5" "$work/r5/"
mpi 2 "$tandem" train --resume "$work/r5" --out "$work/r5" > "$work/r5.log" 2>&1
check --log "$work/r5.log" "resume from a directory without a checkpoint: exit 2" test $? -eq 2
check --log "$work/r5.log" "resume from a directory without a checkpoint: says so" \
  grep -qF "is a directory without a checkpoint (ckpt-STEP.h5)" "$work/r5.log"
finish
