# Sourced by the launch scripts: installs what tandem needs, builds it, and sets up Open MPI
# for runs on this machine.

TANDEM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TANDEM_BUILD=${TANDEM_BUILD:-$TANDEM_ROOT/build}

# Debian packages tandem builds, runs and tests with.
TANDEM_PACKAGES=(g++ cmake make libopenmpi-dev openmpi-bin libopenblas-dev libhdf5-dev hdf5-tools
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
tandem_build() {
  local tests=$1
  mkdir -p "$TANDEM_BUILD"
  cmake -S "$TANDEM_ROOT" -B "$TANDEM_BUILD" -DCMAKE_BUILD_TYPE=Release -DTANDEM_BUILD_TESTS="$tests" \
    -DTANDEM_WERROR="${TANDEM_WERROR:-OFF}" -DTANDEM_NATIVE="${TANDEM_NATIVE:-OFF}" \
    > "$TANDEM_BUILD/cmake.log" 2>&1 ||
    { cat "$TANDEM_BUILD/cmake.log"; return 1; }
  cmake --build "$TANDEM_BUILD" -j "$(nproc)"
}

# Open MPI on one machine:
# - as root it refuses to start unless explicitly allowed;
# - its TCP paths would otherwise pick a network interface; keep everything on loopback
#   (shared memory, btl vader, carries the data between ranks);
# - in containers the vader transport's single-copy mechanism (CMA, process_vm_readv) is
#   usually forbidden and each rank prints "Read -1, expected ..., errno = 1": use plain
#   copy-in/copy-out, which is what would happen after the failure anyway.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_oob_tcp_if_include=lo OMPI_MCA_btl_tcp_if_include=lo
export OMPI_MCA_btl=self,vader,tcp
export OMPI_MCA_btl_vader_single_copy_mechanism=none
