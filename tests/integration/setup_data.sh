#!/usr/bin/env bash
# CTest fixture `integration_data` (runs before every integration script that needs it):
# Fashion-MNIST converted once into the tandem HDF5 layout, and the damaged and mismatched
# datasets of bad_inputs_test.sh, all in INTEGRATION_DIR/shared/data.
#   setup_data.sh TANDEM SOURCE_DIR INTEGRATION_DIR MAKE_FIXTURES
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
make_fixtures=$4
topic_start "$1" "$2" "$3"
dir=$(dirname "$data")
rm -rf "$dir"
mkdir -p "$dir" "$bad"

# --- tandem convert idx: the IDX files of Debian's dataset-fashion-mnist -> one HDF5 file ---
"$tandem" convert idx --dir /usr/share/datasets/fashion-mnist --out "$data" > "$work/convert.log" 2>&1
check --log "$work/convert.log" "convert idx exits 0" test $? -eq 0
check "convert idx: /train/x {60000, 1, 28, 28}" h5_has "$data" /train/x "{60000, 1, 28, 28}"
check "convert idx: /test/y {10000}" h5_has "$data" /test/y "{10000}"

# --- damaged and mismatched datasets --------------------------------------------------------
"$make_fixtures" "$bad" > "$work/make_fixtures.log" 2>&1
all_written() { for f in "$@"; do [ -f "$bad/$f.h5" ] || return 1; done; }
check --log "$work/make_fixtures.log" "make_fixtures wrote the bad datasets" \
  all_written no_train length_mismatch label_12 small_images nan_x truncated not_hdf5
finish
