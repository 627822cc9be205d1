#!/usr/bin/env bash
# Curriculum learning against uniform sampling on Fashion-MNIST (README "Curriculum learning").
# A small scorer (logistic regression, 2 epochs) gives every training sample its loss
# (`tandem predict --per-sample-loss`); the MLP of launch/models/mlp.model is then trained on
# the same budget of optimizer steps (batch 128, momentum, constant rate) three ways: uniform
# sampling, --curriculum linear and --curriculum step (F = 0.2, all samples from epoch 4 by default), for
# each seed. Test accuracy is taken after every epoch (metrics.jsonl) and, for the equal budget,
# of final.h5 at the last step (`tandem eval`). Writes OUT/summary.md and OUT/accuracy.png.
#   launch/curriculum_experiment.sh [OUT] [SEEDS]     (default runs/curriculum, "1 2 3")
# EPOCHS (default 6) sets the budget, CURRICULUM_EPOCHS (default 4) the curriculum's E.
# Built tandem expected in $TANDEM_BUILD (default build/); runs on 2 ranks, 1 thread each.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$TANDEM_ROOT"
out=${1:-runs/curriculum}
seeds=${2:-1 2 3}
tandem=$TANDEM_BUILD/tandem
data=datasets/fashion-mnist.h5
[ -f "$data" ] || "$tandem" convert idx --dir /usr/share/datasets/fashion-mnist --out "$data"
mkdir -p "$out"
run() { mpirun -np 2 --oversubscribe "$tandem" "$@"; }

epochs=${EPOCHS:-6} batch=128 grow=${CURRICULUM_EPOCHS:-4}
steps=$((epochs * ((60000 + batch - 1) / batch)))  # the uniform run's steps: the budget of every run
common=(--data "$data" --model launch/models/mlp.model --batch-size "$batch" --optimizer momentum --lr 0.02
        --threads 1 --test-limit 10000)

# --- the scorer and its per-sample losses ------------------------------------------------------
printf '# Logistic regression: the small model whose losses rank the samples.\ninput 1 28 28\nflatten\ndense 10\nloss softmax_cross_entropy\n' \
  > "$out/scorer.model"
if [ ! -f "$out/difficulty.h5" ]; then
  run train --data "$data" --model "$out/scorer.model" --epochs 2 --batch-size 128 --lr 0.05 --threads 1 --seed 9 \
    --out "$out/scorer" > "$out/scorer.log" 2>&1
  run predict --checkpoint "$out/scorer/final.h5" --data "$data" --split train --per-sample-loss \
    --out "$out/difficulty.h5" > "$out/predict.log" 2>&1
fi

# --- the three ways, on the same budget of steps --------------------------------------------
# (uniform: exactly its epochs; a curriculum run: epochs until --max-steps ends it mid-epoch.)
declare -A extra=(
  [uniform]="--epochs $epochs"
  [linear]="--epochs 20 --max-steps $steps --curriculum linear --curriculum-start 0.2 --curriculum-epochs $grow
            --difficulty $out/difficulty.h5"
  [step]="--epochs 20 --max-steps $steps --curriculum step --curriculum-start 0.2 --curriculum-epochs $grow
          --difficulty $out/difficulty.h5"
)
for seed in $seeds; do
  for way in uniform linear step; do
    dir=$out/$way-$seed
    [ -f "$dir/final-eval.json" ] && continue
    # shellcheck disable=SC2086  # extra holds several words
    run train "${common[@]}" --seed "$seed" ${extra[$way]} --out "$dir" \
      > "$dir.log" 2>&1
    run eval --checkpoint "$dir/final.h5" --data "$data" --json > "$dir/final-eval.json" 2> "$dir/eval.log"
  done
done

# --- summary and plot ---------------------------------------------------------------------------
{
  echo "| sampling | final test accuracy per seed ($steps steps of $batch) | mean | after epoch 1 (mean) | steps in epoch 1 |"
  echo "|---|---|---|---|---|"
  for way in uniform linear step; do
    accs=() first=()
    for seed in $seeds; do
      accs+=("$(jq -r '.accuracy' "$out/$way-$seed/final-eval.json")")
      first+=("$(jq -r -s '.[0].test_accuracy' "$out/$way-$seed/metrics.jsonl")")
    done
    s1=$(jq -r -s '.[0].step' "$out/$way-${seeds%% *}/metrics.jsonl")
    printf '| %s | %s | %s | %s | %s |\n' "$way" "${accs[*]}" \
      "$(printf '%s\n' "${accs[@]}" | awk '{ s += $1 } END { printf "%.4f", s / NR }')" \
      "$(printf '%s\n' "${first[@]}" | awk '{ s += $1 } END { printf "%.4f", s / NR }')" "$s1"
  done
} > "$out/summary.md"
cat "$out/summary.md"
for way in uniform linear step; do  # mean over the seeds of test accuracy at each epoch end, against samples
  paste -d' ' $(for seed in $seeds; do
    f=$out/$way-$seed/curve.txt
    jq -r -s ".[] | \"\(.step * $batch) \(.test_accuracy)\"" "$out/$way-$seed/metrics.jsonl" > "$f"
    echo "$f"
  done) | awk '{ s = 0; for (i = 2; i <= NF; i += 2) s += $i; print $1, s / (NF / 2) }' > "$out/$way.txt"
done
gnuplot <<GP
set terminal pngcairo size 900,520
set output "$out/accuracy.png"
set title "Fashion-MNIST MLP: test accuracy at each epoch end (mean of seeds $seeds)"
set xlabel "samples trained"
set ylabel "test accuracy"
set key bottom right
set grid
plot "$out/uniform.txt" with linespoints title "uniform", \
     "$out/linear.txt" with linespoints title "curriculum linear (F=0.2, E=$grow)", \
     "$out/step.txt" with linespoints title "curriculum step (F=0.2, E=$grow)"
GP
echo "wrote $out/summary.md and $out/accuracy.png"
