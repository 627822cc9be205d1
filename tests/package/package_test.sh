#!/usr/bin/env bash
# package_test.sh BUILD SOURCE MAKE_BLOBS CMAKE GENERATOR CXX MPIEXEC LIBDIR
# Installs BUILD into a temporary prefix, checks the layout, builds SOURCE/launch/examples
# against the installed package only, and runs train_mlp on a separable 4-class dataset.
set -euo pipefail
build=$1 src=$2 make_blobs=$3 cmake=$4 generator=$5 cxx=$6 mpiexec=$7 libdir=$8
source "$src/launch/env.sh"  # Open MPI settings for mpirun on this machine (installs nothing)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
fail() { echo "FAIL: $*"; exit 1; }
# run LOG WHAT COMMAND...: the command's output goes to LOG, shown when it fails.
run() {
  local log=$tmp/$1 what=$2
  shift 2
  "$@" > "$log" 2>&1 || { cat "$log"; fail "$what"; }
}

echo "== cmake --install $build --prefix $prefix"
run install.log "cmake --install" "$cmake" --install "$build" --prefix "$prefix"
cmake_dir=$libdir/cmake/tandem
for f in bin/tandem include/tandem/core/rng.hpp include/tandem/model/builder.hpp \
         include/tandem/train/trainer.hpp "$libdir"/libtandem_{core,tensor,dist_comm,train}.a \
         "$cmake_dir"/{tandemConfig,tandemConfigVersion,tandemTargets}.cmake \
         "$cmake_dir"/{FindTandemOpenBLAS,FindRandom123}.cmake; do
  [ -f "$prefix/$f" ] || fail "not installed: $f"
done
# Nothing of the build or source tree may leak into the exported targets.
if grep -n -e "$build" -e "$src/" "$prefix/$cmake_dir"/tandemTargets*.cmake; then
  fail "tandemTargets refers to the build or source tree"
fi
version=$("$prefix/bin/tandem" --version)
echo "$version"
[[ $version == "tandem "[0-9]* ]] || fail "installed tandem --version printed '$version'"

echo "== launch/examples against $prefix"
run configure.log "configuring launch/examples" \
  "$cmake" -S "$src/launch/examples" -B "$tmp/example" -G "$generator" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_FLAGS="-Wall -Wextra -Werror"
found=$(sed -n 's/^tandem_DIR:PATH=//p' "$tmp/example/CMakeCache.txt")
[ "$found" = "$prefix/$cmake_dir" ] || fail "find_package(tandem) took '$found', not the installed package"
run build.log "building train_mlp" "$cmake" --build "$tmp/example" -j 2

"$make_blobs" "$tmp/blobs.h5"
# Separable with a margin: a linear classifier can reach 1.0 (chance is 0.25); 0.95 leaves
# room for 5 epochs of SGD and catches a library that does not learn (measured: 0.998).
for ranks in 1 2; do
  echo "== train_mlp on $ranks rank(s)"
  launcher=()
  [ "$ranks" -gt 1 ] && launcher=("$mpiexec" -np "$ranks" --oversubscribe)
  run run.log "train_mlp on $ranks rank(s)" "${launcher[@]}" "$tmp/example/train_mlp" "$tmp/blobs.h5" 0.95
  grep -E '^test accuracy' "$tmp/run.log"
  grep -Eq '^test accuracy (0\.9[5-9]|1\.0)[0-9]* on 500 samples \(above 0\.95' "$tmp/run.log" ||
    fail "no 'test accuracy ... on 500 samples (above 0.95...)' line"
done
echo "PASS"
