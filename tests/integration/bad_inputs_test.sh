#!/usr/bin/env bash
# Bad inputs: every one listed under "Errors" in the README stops `tandem train` on 2 ranks
# with its message and exit code (1 runtime error, 2 usage error), and no rank hangs. The
# damaged datasets come from make_fixtures (fixture setup_data.sh). The cases are independent
# and run side by side (expect_error_bg); expect_error_results checks them in this order.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
topic_start "$@"
mlp=$src/launch/models/mlp.model
printf 'input 1 28 28\nflatten\ndense 64 units\ndense 10\n' > "$work/syntax.model"
printf 'input 1 28 28\nflatten\ndensely 64\n' > "$work/unknown_op.model"
printf 'input 1 28 28\nconv2d 4 kernel=3\nmaxpool 2 stride=-1\nflatten\ndense 10\n' > "$work/bad_pool.model"
printf 'input 1 28 28\nflatten\ndense 4000000000\ndense 10\n' > "$work/huge.model"
# Found by tests/fuzz/ini_fuzz: Boost.Program_options' message for this unknown option looped forever.
printf "epochs = 1\nopt option '%%canonical_option%%' = 2\n" > "$work/placeholder.ini"

# --- files and data: exit code 1, or 2 when the data does not fit the model ------------------
expect_error_bg "missing dataset" 1 "does not exist" --data "$work/nope.h5" --model "$mlp"
expect_error_bg "no /train/x" 1 "has no '/train/x'" --data "$bad/no_train.h5" --model "$mlp"
expect_error_bg "x and y lengths" 1 "has 20 rows but /train/y has 19" --data "$bad/length_mismatch.h5" --model "$mlp"
expect_error_bg "label out of range" 2 "has label 12 but the model has only 10 outputs" --data "$bad/label_12.h5" --model "$mlp"
expect_error_bg "truncated dataset" 1 "HDF5 file '$bad/truncated.h5' is truncated (" --data "$bad/truncated.h5" --model "$mlp"
expect_error_bg "not an HDF5 file" 1 "not_hdf5.h5' (17 bytes) is not an HDF5 file (no HDF5 signature)" \
  --data "$bad/not_hdf5.h5" --model "$mlp"
expect_error_bg "NaN in the data, memory" 1 "'/train/x' in '$bad/nan_x.h5' holds nan at row 37, column 100" \
  --data "$bad/nan_x.h5" --model "$mlp"
expect_error_bg "NaN in the data, streamed" 1 "'/train/x' in '$bad/nan_x.h5' holds nan at row 37, column 100" \
  --data "$bad/nan_x.h5" --model "$mlp" --data-mode stream --batch-size 50
expect_error_bg "NaN in the data, node cache" 1 "'/train/x' in '$bad/nan_x.h5' holds nan at row 37, column 100" \
  --data "$bad/nan_x.h5" --model "$mlp" --data-cache node
expect_error_bg "NaN in the data, --no-check-finite: the step names the row" 1 "; training row 37 (rank" \
  --data "$bad/nan_x.h5" --model "$mlp" --no-check-finite
# Found by tests/fuzz/dataset_raw_fuzz (its damaged files): a shape beyond its maximum shape was
# allocated and read until the OOM killer came; libhdf5 1.10.8 loops forever on a damaged heap.
fuzzed=$src/tests/fuzz
expect_error_bg "damaged dataset layout" 1 "is damaged: its shape [805306372, 1, 2, 2] is larger than its maximum shape" \
  --data "$fuzzed/corpus/dataset_raw/regression-shape-beyond-maximum.h5" --model "$mlp"
TANDEM_METADATA_DEADLINE=3 expect_error_bg "a read libhdf5 never returns from" 1 \
  "reading attribute 'classes' on '/' in '$fuzzed/libhdf5-crashes/dataset_raw-hang-in-H5HG_read.h5': libhdf5 has not returned after 3 s" \
  --data "$fuzzed/libhdf5-crashes/dataset_raw-hang-in-H5HG_read.h5" --model "$mlp"
expect_error_bg "input shape" 2 "samples have shape [1, 14, 14] but the model's input is [1, 28, 28]" \
  --data "$bad/small_images.h5" --model "$mlp"

# --- model specs: FILE:LINE and what is wrong ------------------------------------------------
expect_error_bg "spec syntax" 2 "syntax.model:3: dense takes at most 1 positional argument" --data "$data" --model "$work/syntax.model"
expect_error_bg "unknown op" 2 "unknown_op.model:3: unknown op 'densely'" --data "$data" --model "$work/unknown_op.model"
expect_error_bg "op argument" 2 "bad_pool.model:3: pooling needs a positive stride, got -1" --data "$data" --model "$work/bad_pool.model"
expect_error_bg "layer too large" 1 "huge.model:3: 'dense 4000000000' (dense_1: weight [4000000000, 784], bias [4000000000]): its parameters and their gradients need 22.8 TiB, but this machine has" \
  --data "$data" --model "$work/huge.model"

# --- options ---------------------------------------------------------------------------------
expect_error_bg "unknown option" 2 "did you mean --epochs?" --data "$data" --model "$mlp" --epoch 3
expect_error_bg "Boost placeholder in an INI file" 2 "holds '%canonical_option%', which the option parser cannot report on" \
  --data "$data" --model "$mlp" --config "$work/placeholder.ini"
expect_error_bg "batch size 0" 2 "--batch-size must be positive" --data "$data" --model "$mlp" --batch-size 0
expect_error_bg "negative lr" 2 "--lr must be positive" --data "$data" --model "$mlp" --lr -0.1
expect_error_bg "diverging rate: every rank stops at the same step" 1 "was not finite (nan or inf) at global step" \
  --data "$data" --model "$mlp" --lr 1e30 --train-limit 2000
expect_error_bg "diverging rate, sharded LAMB: every rank stops at the same step" 1 \
  "was not finite (nan or inf) at global step" --data "$data" --model "$mlp" --lr 1e30 --train-limit 2000 \
  --optimizer lamb --shard-optimizer
expect_error_bg "batch < ranks" 2 "smaller than the number of ranks" --data "$data" --model "$mlp" --batch-size 1
expect_error_bg "grad-sync mode" 2 "unknown --grad-sync 'fast'; use auto, blocking or bucketed" --data "$data" --model "$mlp" --grad-sync fast
expect_error_bg "bn-sync mode" 2 "unknown --bn-sync 'none'; use global or local" --data "$data" --model "$mlp" --bn-sync none
expect_error_bg "accumulate 0" 2 "--accumulate must be >= 1" --data "$data" --model "$mlp" --accumulate 0
expect_error_bg "val-split 1" 2 "--val-split must be in [0, 1)" --data "$data" --model "$mlp" --val-split 1
expect_error_bg "drop-last leaves nothing" 2 "leaves no batch" --data "$data" --model "$mlp" --train-limit 100 --batch-size 128 --drop-last
expect_error_results
finish
