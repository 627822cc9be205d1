#!/usr/bin/env bash
# Many classes (README "Hierarchical softmax"): `tandem convert synthetic` makes 2,000 classes
# with Zipf training counts, byte-for-byte the same twice, refuses a bad value with a usage
# error naming it; the hierarchical softmax (Huffman tree) learns it in 2 epochs, far above chance.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
topic_start "$@"

many=(synthetic --classes 2000 --features 64 --train-per-class 10 --test-per-class 1 --noise 0.5 --zipf 1)
"$tandem" convert "${many[@]}" --out "$work/many.h5" > "$work/many.log" 2>&1
check --log "$work/many.log" "convert synthetic: exit 0, 2,000 classes" grep -q "2000 classes" "$work/many.log"
sleep 1.1  # a second later: no timestamps in the file
"$tandem" convert "${many[@]}" --out "$work/many-again.h5" > /dev/null 2>&1
check "convert synthetic: the same options give the same bytes" cmp -s "$work/many.h5" "$work/many-again.h5"
"$tandem" convert synthetic --classes 2000 --features 64 --train-per-class 10 --test-per-class 1 --zipf -1 \
  --out "$work/bad.h5" > "$work/many-bad.log" 2>&1
check --log "$work/many-bad.log" "convert synthetic --zipf -1: usage error (exit 2)" test $? -eq 2
check --log "$work/many-bad.log" "convert synthetic --zipf -1: the error names --zipf" grep -q -- "--zipf must be" "$work/many-bad.log"
OPENBLAS_NUM_THREADS=1 "$tandem" train --data "$work/many.h5" --model "$src/launch/models/many-hsoftmax.model" \
  --epochs 2 --batch-size 64 --optimizer adam --lr 0.003 --threads 1 --out "$work/many" > "$work/many-train.log" 2>&1
check --log "$work/many-train.log" "2,000 classes: hierarchical softmax trains, exit 0" test $? -eq 0
check "2,000 classes: test accuracy > 0.2 after 2 epochs (chance: 0.0005)" \
  json_true '.[-1].test_accuracy > 0.2' "$work/many/metrics.jsonl"
finish
