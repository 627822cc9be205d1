# Sourced by the launch scripts: installs what tandem needs, builds it, and sets up Open MPI
# for runs on this machine.

TANDEM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TANDEM_BUILD=${TANDEM_BUILD:-$TANDEM_ROOT/build}

# Debian packages tandem builds, runs and tests with. ocl-icd-opencl-dev: libdnnl-dev only
# recommends it, but its CMake package (dnnl-config.cmake) stops configure without OpenCL.
TANDEM_PACKAGES=(g++ cmake make libopenmpi-dev openmpi-bin libopenblas-dev libdnnl-dev ocl-icd-opencl-dev
                 libhdf5-dev hdf5-tools
                 libboost-program-options-dev libgtest-dev librandom123-dev zlib1g-dev
                 gnuplot-nox dataset-fashion-mnist)

tandem_install_packages() {
  local missing=()
  for p in "${TANDEM_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "== installing: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# Configure and build (incremental when the build directory exists). The configure output
# goes to BUILD/cmake.log, shown only on failure. TANDEM_NATIVE=ON: -march=native (site builds).
# TANDEM_SANITIZE=address,undefined or thread: a sanitizer build (launch/test.sh --sanitize).
# TANDEM_BUILD_TARGETS (space-separated): build only those (default: all).
tandem_build() {
  local tests=$1
  mkdir -p "$TANDEM_BUILD"
  cmake -S "$TANDEM_ROOT" -B "$TANDEM_BUILD" -DCMAKE_BUILD_TYPE=Release -DTANDEM_BUILD_TESTS="$tests" \
    -DTANDEM_WERROR="${TANDEM_WERROR:-OFF}" -DTANDEM_NATIVE="${TANDEM_NATIVE:-OFF}" \
    -DTANDEM_SANITIZE="${TANDEM_SANITIZE:-}" \
    > "$TANDEM_BUILD/cmake.log" 2>&1 ||
    { cat "$TANDEM_BUILD/cmake.log"; return 1; }
  local targets=()
  [ -n "${TANDEM_BUILD_TARGETS:-}" ] && read -r -a targets <<< "--target $TANDEM_BUILD_TARGETS"
  cmake --build "$TANDEM_BUILD" -j "$(nproc)" "${targets[@]}"
}

# Every C++ file of the tree formatted as .clang-format says; prints the offenders and the fix.
tandem_check_format() {
  local files
  mapfile -t files < <(cd "$TANDEM_ROOT" && git ls-files '*.cpp' '*.hpp' 2> /dev/null ||
    find src include tests launch -name '*.cpp' -o -name '*.hpp')
  (cd "$TANDEM_ROOT" && clang-format --dry-run -Werror "${files[@]}") || {
    echo "== formatting differs from .clang-format: run 'clang-format -i' on the files above"
    return 1
  }
  echo "== ${#files[@]} C++ files formatted as .clang-format says"
}

# TANDEM_PROGRESS=(--progress bar) when this script's stderr is a terminal and the arguments
# "$@" choose no --progress, else empty: under mpirun a rank's stderr is a pipe, so the rank
# cannot see the terminal itself. Exports COLUMNS, the terminal's width, which the ranks fit
# the bar into. Call it directly, not in $(...), or the export is lost.
tandem_progress_args() {
  TANDEM_PROGRESS=()
  local a rows cols
  for a in "$@"; do case $a in --progress | --progress=*) return 0 ;; esac; done
  [ -t 2 ] || return 0
  read -r rows cols < <(stty size <&2 2> /dev/null) || true
  COLUMNS=${cols:-100}
  export COLUMNS
  TANDEM_PROGRESS=(--progress bar)
}

# Open MPI on one machine (root allowed, loopback, shared memory without CMA): the settings
# and why each is needed are in launch/openmpi.env, which the tests read too.
set -a
# shellcheck source=launch/openmpi.env
. "$TANDEM_ROOT/launch/openmpi.env"
# oneDNN's OpenMP threads sleep when idle instead of spinning, so that OpenBLAS's threads and
# tandem's own loops get the cores between convolutions (README "Compute libraries and
# threads"; the CNN on 1 rank x 2 threads: 3,660 -> 4,550 samples/s). Ranks inherit it.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
set +a
