# Configure-time checks of what tandem_tensor compiles and links against (after
# find_package(TandemOpenBLAS)):
# - the cblas.h it sees is OpenBLAS's own. Debian also installs netlib's cblas.h on the
#   default include path (libblas-dev, through update-alternatives); its prototypes lack
#   openblas_set_num_threads, and a mix-up otherwise surfaces as a compile error deep in
#   src/tensor/blas.cpp or, worse, as a silently single-threaded BLAS;
# - the library provides openblas_set_num_threads and cblas_sgemm;
# - LAPACK's dsyevd_ (src/tensor/blas.cpp, used by data/preprocess for PCA/ZCA whitening) is
#   in OpenBLAS, as it is in every default OpenBLAS build; if not, find_package(LAPACK).
# Sets TANDEM_LAPACK_SEPARATE (OFF when OpenBLAS has LAPACK) and TANDEM_LAPACK_LIBRARIES
# (then LAPACK::LAPACK, else empty).

include(CheckCXXSourceCompiles)
include(CMakePushCheckState)

# Results are cached: check again when the library or include directories change.
set(_inputs "${TandemOpenBLAS_LIBRARIES}|${TandemOpenBLAS_INCLUDE_DIRS}")
if(DEFINED TANDEM_OPENBLAS_CHECKED_FOR AND NOT TANDEM_OPENBLAS_CHECKED_FOR STREQUAL _inputs)
  unset(TANDEM_CBLAS_IS_OPENBLAS CACHE)
  unset(TANDEM_OPENBLAS_LINKS CACHE)
  unset(TANDEM_OPENBLAS_HAS_LAPACK CACHE)
  unset(TANDEM_LAPACK_LINKS CACHE)
endif()
set(TANDEM_OPENBLAS_CHECKED_FOR "${_inputs}" CACHE INTERNAL "")

# The cblas.h the compiler takes: OpenBLAS's include directories first, then its defaults.
find_file(_cblas_h cblas.h
          PATHS ${TandemOpenBLAS_INCLUDE_DIRS} ${CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES}
          NO_DEFAULT_PATH NO_CACHE)
set(_found "  OpenBLAS found by: ${TandemOpenBLAS_METHOD}
  library: ${TandemOpenBLAS_LIBRARIES}
  include directories: ${TandemOpenBLAS_INCLUDE_DIRS}
  cblas.h: ${_cblas_h}")
get_filename_component(_cblas_real "${_cblas_h}" REALPATH)
if(_cblas_h AND NOT _cblas_real STREQUAL _cblas_h)
  string(APPEND _found " -> ${_cblas_real}")
endif()

cmake_push_check_state(RESET)
set(CMAKE_REQUIRED_QUIET ON)
set(CMAKE_REQUIRED_LIBRARIES OpenBLAS::OpenBLAS)

# 1. The header (compile only).
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
check_cxx_source_compiles([[
#include <cblas.h>
int f() { openblas_set_num_threads(1); return openblas_get_num_threads(); }
]] TANDEM_CBLAS_IS_OPENBLAS)
if(NOT TANDEM_CBLAS_IS_OPENBLAS)
  unset(TANDEM_CBLAS_IS_OPENBLAS CACHE)
  message(FATAL_ERROR "The cblas.h that tandem_tensor would compile against is not OpenBLAS's: "
    "it does not declare openblas_set_num_threads.\n${_found}\n"
    "Netlib's reference CBLAS (Debian: libblas-dev) installs a cblas.h on the default include "
    "path without OpenBLAS's functions. Give tandem OpenBLAS's own header: through pkg-config, "
    "with the openblas.pc of an OpenBLAS installation first on PKG_CONFIG_PATH (or its prefix "
    "in CMAKE_PREFIX_PATH); or without pkg-config (-DCMAKE_DISABLE_FIND_PACKAGE_PkgConfig=ON) "
    "and -DTandemOpenBLAS_INCLUDE_DIR=DIR, DIR being the directory of OpenBLAS's cblas.h "
    "(next to openblas_config.h).")
endif()
unset(CMAKE_TRY_COMPILE_TARGET_TYPE)

# 2. The library.
check_cxx_source_compiles([[
#include <cblas.h>
int main() {
  float a = 1, b = 2, c = 0;
  openblas_set_num_threads(1);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 1, 1, 1, 1.0f, &a, 1, &b, 1, 0.0f, &c, 1);
  return openblas_get_num_threads() > 0 && c == 2 ? 0 : 1;
}
]] TANDEM_OPENBLAS_LINKS)
if(NOT TANDEM_OPENBLAS_LINKS)
  unset(TANDEM_OPENBLAS_LINKS CACHE)
  message(FATAL_ERROR "OpenBLAS's cblas.h was found, but a program calling cblas_sgemm and "
    "openblas_set_num_threads does not link against the library found with it.\n${_found}\n"
    "The library is not OpenBLAS, or belongs to another installation than the header. "
    "Make one OpenBLAS installation findable (openblas.pc on PKG_CONFIG_PATH, or its prefix in "
    "CMAKE_PREFIX_PATH). CMakeFiles/CMakeError.log has the linker's output.")
endif()

# 3. LAPACK, declared as src/tensor/blas.cpp declares it (Fortran interface).
set(_lapack_test [[
extern "C" void dsyevd_(const char*, const char*, const int*, double*, const int*, double*, double*,
                        const int*, int*, const int*, int*);
int main() {
  int n = 1, lwork = -1, liwork = -1, iwork = 0, info = 0;
  double a = 2, w = 0, work = 0;
  dsyevd_("V", "U", &n, &a, &n, &w, &work, &lwork, &iwork, &liwork, &info);
  return info;
}
]])
check_cxx_source_compiles("${_lapack_test}" TANDEM_OPENBLAS_HAS_LAPACK)
set(TANDEM_LAPACK_SEPARATE OFF)
set(TANDEM_LAPACK_LIBRARIES)
if(TANDEM_OPENBLAS_HAS_LAPACK)
  message(STATUS "OpenBLAS: LAPACK (dsyevd_) included")
else()
  # An OpenBLAS built with NO_LAPACK=1: take a separate LAPACK (FindLAPACK uses BLA_VENDOR).
  find_package(LAPACK)
  if(LAPACK_FOUND)
    set(CMAKE_REQUIRED_LIBRARIES LAPACK::LAPACK OpenBLAS::OpenBLAS)
    check_cxx_source_compiles("${_lapack_test}" TANDEM_LAPACK_LINKS)
  endif()
  if(NOT TANDEM_LAPACK_LINKS)
    unset(TANDEM_LAPACK_LINKS CACHE)
    message(FATAL_ERROR "LAPACK's dsyevd_ (symmetric eigendecomposition, src/tensor/blas.cpp) "
      "is neither in OpenBLAS nor in a LAPACK found by find_package(LAPACK) "
      "(${LAPACK_LIBRARIES}).\n"
      "${_found}\nUse an OpenBLAS built with LAPACK (the default; Debian: libopenblas-dev), or "
      "make a LAPACK findable (BLA_VENDOR, CMAKE_PREFIX_PATH; Debian: liblapack-dev).")
  endif()
  set(TANDEM_LAPACK_SEPARATE ON)
  set(TANDEM_LAPACK_LIBRARIES LAPACK::LAPACK)
  message(STATUS "OpenBLAS has no LAPACK: dsyevd_ from ${LAPACK_LIBRARIES}")
endif()
cmake_pop_check_state()

message(STATUS "OpenBLAS: ${TandemOpenBLAS_LIBRARIES} "
               "(cblas.h: ${_cblas_h}; by ${TandemOpenBLAS_METHOD})")
unset(_inputs)
unset(_cblas_h)
unset(_cblas_real)
unset(_found)
unset(_lapack_test)
