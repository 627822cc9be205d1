#!/usr/bin/env bash
# The pre-training and fine-tuning example (README "Pre-training and fine-tuning"), in one
# sitting: the CNN pre-trained on Fashion-MNIST classes 0-4, then trained on classes 5-9 for
# a fixed number of steps three ways: a new head on frozen convolutions (--init-from --freeze),
# everything fine-tuned (--init-from), and from scratch. Test accuracy (5,000 test images of
# classes 5-9), mean over seeds, for each step budget and amount of training data; then the
# training throughput with the convolutions frozen against not (median of 3, alternating).
#   tests/bench/transfer.sh [--seeds '1 2 3'] [--budgets '50 200'] [--limits '30000 1000']
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../launch/env.sh"
cd "$TANDEM_ROOT"
seeds="1 2 3" budgets="50 200" limits="30000 1000"
while [ $# -gt 0 ]; do
  case $1 in
    --seeds) seeds=$2; shift 2 ;;
    --budgets) budgets=$2; shift 2 ;;
    --limits) limits=$2; shift 2 ;;
    *) echo "usage: $0 [--seeds S] [--budgets STEPS] [--limits SAMPLES]" >&2; exit 2 ;;
  esac
done
tandem=build/tandem data=datasets/fashion-mnist.h5 out=runs/transfer
[ -f "$data" ] || "$tandem" convert idx --dir /usr/share/datasets/fashion-mnist --out "$data"
[ -f datasets/fashion-0to4.h5 ] || "$tandem" convert classes --from "$data" --keep 0,1,2,3,4 --out datasets/fashion-0to4.h5
[ -f datasets/fashion-5to9.h5 ] || "$tandem" convert classes --from "$data" --keep 5,6,7,8,9 --out datasets/fashion-5to9.h5
mkdir -p "$out"
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
mean() { awk '{ s += $1 } END { printf "%.4f", s / NR }'; }

# Pre-training: 2 epochs on the 30,000 images of classes 0-4.
pre=(train --data datasets/fashion-0to4.h5 --model launch/models/cnn5.model --epochs 2 --batch-size 128 --lr 0.05
     --threads 2 --seed 0 --out "$out/pre")
echo "$tandem ${pre[*]}"
"$tandem" "${pre[@]}" > "$out/pre.log" 2>&1
grep '^final test accuracy' "$out/pre.log"

fine=(train --data datasets/fashion-5to9.h5 --model launch/models/cnn5-finetune.model --batch-size 128 --lr 0.05
      --threads 2)
declare -A how=([frozen]="--init-from $out/pre/final.h5 --freeze conv2d_*" [finetuned]="--init-from $out/pre/final.h5"
                [scratch]="")
echo "fine-tuning: $tandem ${fine[*]} --epochs 1000 --train-limit N --max-steps S --seed K --out RUN, plus"
for m in frozen finetuned scratch; do echo "  $m: ${how[$m]:-(nothing)}"; done
echo "accuracy: $tandem eval --checkpoint RUN/final.h5 --data datasets/fashion-5to9.h5 (mean over seeds $seeds)"
printf '%-9s %-6s %-10s %-10s %-10s\n' samples steps frozen finetuned scratch
for limit in $limits; do
  for steps in $budgets; do
    row=""
    for m in frozen finetuned scratch; do
      for seed in $seeds; do
        # shellcheck disable=SC2086  # how[] holds several options
        run=$out/$m-$limit-$steps-$seed
        "$tandem" "${fine[@]}" --epochs 1000 --train-limit "$limit" --max-steps "$steps" --seed "$seed" ${how[$m]} \
          --out "$run" > "$run.log" 2>&1
        # --max-steps may end mid-epoch, before an evaluation: the saved model on the test split.
        "$tandem" eval --checkpoint "$run/final.h5" --data datasets/fashion-5to9.h5 --threads 2 --json | jq .accuracy
      done | mean > "$out/acc"
      row+=$(printf ' %-10s' "$(cat "$out/acc")")
    done
    printf '%-9s %-6s%s\n' "$limit" "$steps" "$row"
  done
done

# Throughput: 3 epochs of 12,800 samples, median of the epochs after the first, 3 runs each.
speed() {
  # shellcheck disable=SC2086
  "$tandem" "${fine[@]}" --epochs 3 --train-limit 12800 --test-limit 500 --seed 0 $1 > "$out/speed.log" 2>&1
  grep '^epoch' "$out/speed.log" | tail -n +2 | sed 's/.* \([0-9]*\) samples\/s.*/\1/' | median
}
for r in 1 2 3; do
  speed "--init-from $out/pre/final.h5 --freeze conv2d_*" >> "$out/speed-frozen"
  speed "--init-from $out/pre/final.h5" >> "$out/speed-all"
done
f=$(median < "$out/speed-frozen") a=$(median < "$out/speed-all")
rm -f "$out/speed-frozen" "$out/speed-all"
echo "samples/s (2 threads, batch 128): convolutions frozen $f, nothing frozen $a, ratio $(awk -v f="$f" -v a="$a" 'BEGIN { printf "%.2f", f / a }')"
