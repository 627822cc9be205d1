#!/usr/bin/env bash
# CTest fixture `integration_runs`: the training runs several integration scripts read, each
# trained once into INTEGRATION_DIR/shared/runs (requires the fixture integration_data).
#   runs/mlp        the MLP, 3 epochs on 4,000 samples, mpirun -np 2: train_test.sh checks it;
#                   eval_test.sh ensembles it, techniques_test.sh takes its Hessian,
#                   lifecycle_test.sh refuses to resume from its final.h5
#   runs/life2/full the lifecycle run (lib.sh life_options) on 2 ranks, uninterrupted:
#                   lifecycle_test.sh compares stopped-and-resumed runs with it, eval_test.sh
#                   evaluates, ensembles, predicts, inspects and plots it
#   setup_runs.sh TANDEM SOURCE_DIR INTEGRATION_DIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
topic_start "$@"
rm -rf "$shared"
mkdir -p "$shared"

mpi 2 "$tandem" train --data "$data" --model "$src/launch/models/mlp.model" --epochs 3 --batch-size 64 \
  --lr 0.05 --train-limit 4000 --test-limit 2000 --seed 2 --threads 1 --out "$shared/mlp" > "$shared/mlp.log" 2>&1
check --log "$shared/mlp.log" "MLP on 2 ranks: train exits 0" test $? -eq 0

life_options
mpi 2 "$tandem" train "${life[@]}" --out "$shared/life2/full" > "$shared/life2.full.log" 2>&1
check --log "$shared/life2.full.log" "lifecycle run on 2 ranks: train exits 0" test $? -eq 0
finish
