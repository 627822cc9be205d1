#!/usr/bin/env bash
# --data-mode: the same training with the inputs in memory and streamed from the file (every
# batch prepared ahead by the prefetch thread) gives bitwise the same parameters and metrics, on
# 1 rank and on 2 (with a validation split, whose rows a streamed subset maps to the file), and
# with --prefetch 0; the dataset split into shard files and streamed from a glob trains as the
# one file does; the node cache trains as a copy per rank does, in less memory; auto streams a
# split over --data-memory-mb.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
topic_start "$@"

common=(--data "$data" --model "$src/launch/models/mlp.model" --batch-size 64 --train-limit 3000
        --test-limit 500 --threads 1 --optimizer adam --lr 0.002)
for ranks in 1 2; do
  extra=()
  [ "$ranks" = 2 ] && extra=(--val-split 0.1)
  for mode in memory stream; do
    mpi "$ranks" "$tandem" train "${common[@]}" --epochs 2 "${extra[@]}" --data-mode "$mode" --out "$work/np$ranks-$mode" \
      > "$work/np$ranks-$mode.log" 2>&1
    check --log "$work/np$ranks-$mode.log" "$ranks rank(s), --data-mode $mode: exits 0" test $? -eq 0
  done
  check --log "$work/np$ranks-stream.log" "$ranks rank(s): the log says what is streamed" \
    grep -q "streaming the inputs of /train and /test from .* (--data-mode stream" "$work/np$ranks-stream.log"
  check --log "$work/np$ranks-stream.log" "$ranks rank(s): every training batch was prefetched" \
    grep -Eq "prefetched ([0-9]+) of \1 training micro-batches" "$work/np$ranks-stream.log"
  check "$ranks rank(s): streamed parameters bitwise equal to memory mode" \
    h5_same "$work/np$ranks-memory/final.h5" "$work/np$ranks-stream/final.h5" /params
  check "$ranks rank(s): metrics equal" same_metrics "$work/np$ranks-memory/metrics.jsonl" "$work/np$ranks-stream/metrics.jsonl"
done

mpi 2 "$tandem" train "${common[@]}" --epochs 2 --val-split 0.1 --data-mode stream --prefetch 0 \
  --out "$work/np2-noprefetch" > "$work/np2-noprefetch.log" 2>&1
check --log "$work/np2-noprefetch.log" "--prefetch 0 exits 0" test $? -eq 0
check "--prefetch 0: bitwise equal too" h5_same "$work/np2-memory/final.h5" "$work/np2-noprefetch/final.h5" /params

# convert shards: Fashion-MNIST in 3 contiguous files, streamed from a glob (read directly: no
# warning), trains bitwise as the one compressed file in memory; every batch spans the files.
"$tandem" convert shards --from "$data" --shards 3 --out "$work/fm" > "$work/shards.log" 2>&1
check --log "$work/shards.log" "convert shards exits 0" test $? -eq 0
check "three shard files" test -f "$work/fm-0.h5" -a -f "$work/fm-1.h5" -a -f "$work/fm-2.h5"
whole=(--model "$src/launch/models/mlp.model" --epochs 1 --batch-size 256 --test-limit 500 --threads 1)
mpi 2 "$tandem" train --data "$data" "${whole[@]}" --data-mode memory --out "$work/whole" > "$work/whole.log" 2>&1
check --log "$work/whole.log" "one file in memory exits 0" test $? -eq 0
mpi 2 "$tandem" train --data "$work/fm-*.h5" "${whole[@]}" --data-mode stream --out "$work/sharded" \
  > "$work/sharded.log" 2>&1
check --log "$work/sharded.log" "shards streamed exit 0" test $? -eq 0
check --log "$work/sharded.log" "shards are read directly (no layout warning)" \
  bash -c "! grep -q 'chunked or compressed' '$work/sharded.log'"
check "shards streamed: parameters bitwise equal to the one file in memory" \
  h5_same "$work/whole/final.h5" "$work/sharded/final.h5" /params

# --data-cache node: the 2 ranks hold Fashion-MNIST once (each read half of it), train bitwise
# as with a copy each, and take less memory together (PSS: shared pages counted once).
mpi 2 "$tandem" train --data "$data" "${whole[@]}" --data-cache node --out "$work/node" > "$work/node.log" 2>&1
check --log "$work/node.log" "--data-cache node exits 0" test $? -eq 0
check --log "$work/node.log" "the log says the node holds one copy" grep -q "held once per node, shared by its 2 rank" "$work/node.log"
check "--data-cache node: parameters bitwise equal to a copy per rank" \
  h5_same "$work/whole/final.h5" "$work/node/final.h5" /params
pss() { sed -n 's/^memory of all ranks together now (PSS) \([0-9.]*\) MiB.*/\1/p' "$1"; }
check "--data-cache node: the ranks together take at least 30 MiB less (one 55 MB copy less): $(pss "$work/whole.log") -> $(pss "$work/node.log") MiB" \
  awk -v a="$(pss "$work/whole.log")" -v b="$(pss "$work/node.log")" 'BEGIN { exit !(a - b >= 30) }'

# auto: the training split's 3000 x 784 bytes exceed 1 MiB, the test split's 500 x 784 do not.
mpi 1 "$tandem" train "${common[@]}" --epochs 1 --data-memory-mb 1 --out "$work/auto" > "$work/auto.log" 2>&1
check --log "$work/auto.log" "auto exits 0" test $? -eq 0
check --log "$work/auto.log" "auto streams /train only" grep -q "streaming the inputs of /train from" "$work/auto.log"
finish
