#!/usr/bin/env bash
# tandem sweep (README "Large-batch experiments"): a grid of 2 batch sizes x 2 rates on a
# subset under mpirun -np 2, each run to a target; sweep.jsonl, the report and its plots; a
# second invocation skips the finished runs; other options are refused; a sweep interrupted
# during a run continues that run from its checkpoint.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
topic_start "$@"

sweep=(--data "$data" --model "$src/launch/models/mlp.model" --batch-sizes 64,256 --lrs 0.05,0.2,1e30
       --target val_accuracy=0.8 --max-epochs 4 --val-split 0.1 --train-limit 6000 --test-limit 200 --threads 1)
out=$work/sweep
mpi 2 "$tandem" sweep "${sweep[@]}" --out "$out" > "$work/sweep.log" 2>&1
check --log "$work/sweep.log" "sweep of 6 runs exits 0" test $? -eq 0
check "sweep.jsonl: one line per run, each with its key, steps and outcome" json_true \
  'length == 6 and ([.[] | select(.lr < 1) | "\(.batch)-\(.lr)"] | sort == ["256-0.05", "256-0.2", "64-0.05", "64-0.2"]) and
   all(.[]; .steps > 0 and (.reached | type == "boolean"))' "$out/sweep.jsonl"
check "a diverging rate is recorded as diverged, and the sweep goes on" json_true \
  '[.[] | select(.lr > 1) | .diverged and (.reached | not)] == [true, true]' "$out/sweep.jsonl"
check "a run that reached the target stopped within the budget, at most 4 epochs" json_true \
  'any(.[]; .reached and .epochs <= 4)' "$out/sweep.jsonl"
check "the report lists the best rate per batch size and every run" \
  grep -q '^## Steps to the target, the best learning rate of each batch size' "$out/report.md"
check "the report's table of all runs has 6 rows" test "$(grep -c '^| momentum | ' "$out/report.md")" -ge 6
for png in steps_to_target best_lr; do
  check "$png.png is a PNG" test "$(head -c 4 "$out/$png.png" 2> /dev/null | tail -c 3)" = PNG
done

# The same command again: nothing left to run.
mpi 2 "$tandem" sweep "${sweep[@]}" --out "$out" > "$work/again.log" 2>&1
check --log "$work/again.log" "a finished sweep runs nothing again" not grep -q '^sweep: run ' "$work/again.log"
# Other shared options: refused, naming them.
mpi 2 "$tandem" sweep "${sweep[@]}" --out "$out" --weight-decay 1e-3 > "$work/other.log" 2>&1
rc=$?
check --log "$work/other.log" "a sweep continued with other options is refused (exit 2), naming them" \
  test $rc -eq 2 -a -n "$(grep -F -- '--weight-decay (sweep 0, now 0.001)' "$work/other.log")"

# Interrupted during its first run (SIGUSR1 to mpirun), then continued: that run resumes.
cut=$work/cut
long=(--data "$data" --model "$src/launch/models/mlp.model" --batch-sizes 64 --lrs 0.05 --target val_accuracy=0.99
      --max-epochs 4 --val-split 0.1 --train-limit 12000 --test-limit 200 --threads 1 --out "$cut")
mpirun -np 2 --oversubscribe "$tandem" sweep "${long[@]}" > "$work/cut.log" 2>&1 &
job=$!
wait_for_line '^epoch 1/' "$work/cut.log" "$job" 60 && kill -USR1 "$job"
wait_deadline "$job" 120
check --log "$work/cut.log" "the interrupted sweep says how to continue and records no run" \
  test -n "$(grep 'sweep: interrupted during momentum-b64-lr0.05' "$work/cut.log")" -a ! -s "$cut/sweep.jsonl"
mpi 2 "$tandem" sweep "${long[@]}" > "$work/continued.log" 2>&1
check --log "$work/continued.log" "the continued sweep resumes the run from its checkpoint and finishes it" \
  test -n "$(grep 'resuming from .*momentum-b64-lr0.05/ckpt-' "$work/continued.log")" -a \
  "$(jq -s length "$cut/sweep.jsonl" 2> /dev/null)" = 1

# The README's sweep file, shrunk by command-line overrides: rates per optimizer, each scaled
# by the file's --lr-scaling sqrt from --base-batch 256 (at 64: half the listed rate).
file=$work/file
mpi 2 "$tandem" sweep --config "$src/launch/configs/large-batch-mlp.ini" --data "$data" \
  --model "$src/launch/models/mlp.model" --batch-sizes 64 --lrs 'momentum:0.05;lamb:0.004' --max-epochs 1 \
  --train-limit 2000 --test-limit 100 --threads 1 --out "$file" > "$work/file.log" 2>&1
check --log "$work/file.log" "the sweep file runs one rate per optimizer, each scaled by sqrt(64/256)" json_true \
  '[.[] | "\(.optimizer) \(.lr) \(.scaled_lr)"] | sort == ["lamb 0.004 0.002", "momentum 0.05 0.025"]' \
  "$file/sweep.jsonl"

# The planning table: 64 samples a node, the network measured by this job (2 ranks); the
# sweep's best runs at 64 and 256 give the steps and time to the target at 1 and 4 nodes.
project=(--data "$data" --model "$src/launch/models/mlp.model" --batch-size 64 --train-limit 6000 --threads 1
         --project-steps 5)
mpi 2 "$tandem" sweep "${project[@]}" --project 1,4,16,1024 --out "$out" > "$work/project.log" 2>&1
check --log "$work/project.log" "--project on 2 ranks exits 0 and writes projection.md" \
  test $? -eq 0 -a -s "$out/projection.md"
check --log "$work/project.log" "one row per node count; one node is the measured speed (efficiency 1)" \
  test "$(grep -c '^| [0-9]* | [0-9]* | ' "$out/projection.md")" = 4 -a \
  -n "$(grep -E '^\| 1 \| 64 \| 0\.000 \| [0-9.]+ \| [0-9]+ \| 1\.000 \| 1\.000 \|' "$out/projection.md")"
check --log "$work/project.log" "the sweep's steps to the target at a projected global batch are joined in" \
  grep -qE '^\| (1 \| 64|4 \| 256) \|.*\| [0-9]+ \(momentum\) \| [0-9.]+ \|$' "$out/projection.md"
mpi 1 "$tandem" sweep "${project[@]}" --project 1,8 > "$work/project1.log" 2>&1
rc=$?
check --log "$work/project1.log" "one rank measures no allreduce: refused (exit 2), naming the options" \
  test $rc -eq 2 -a -n "$(grep -F -- '--alpha-us and --bandwidth-gbs' "$work/project1.log")"
mpi 1 "$tandem" sweep "${project[@]}" --project 1,8 --alpha-us 2 --bandwidth-gbs 12 > "$work/project_given.log" 2>&1
check --log "$work/project_given.log" "a site's latency and bandwidth given: the table on 1 rank" \
  grep -q '^| 8 | 512 | ' "$work/project_given.log"

finish
