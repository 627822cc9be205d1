# Finds OpenBLAS and the cblas.h of the same installation, as the target OpenBLAS::OpenBLAS
# (library + include directory). Installed with tandem: tandemConfig.cmake recreates the
# target for projects that link tandem's static libraries.
#
# Search order:
# 1. pkg-config `openblas`. openblas.pc is written by OpenBLAS's own install and by the
#    distributions (Debian, Fedora, Conda, Spack, Homebrew); it names the library AND the
#    include directory of one installation, so the header cannot come from elsewhere.
#    PKG_CONFIG_PATH or CMAKE_PREFIX_PATH pick another installation.
# 2. CMake's FindBLAS with BLA_VENDOR=OpenBLAS, when pkg-config or openblas.pc is missing.
#    It knows only the library, so cblas.h is looked for next to it (LIBDIR/../include) and
#    then on the usual paths; set TandemOpenBLAS_INCLUDE_DIR to override.
# An OpenBLAS::OpenBLAS target that already exists (OpenBLAS's own CMake package) is used as is.
#
# Sets TandemOpenBLAS_FOUND, TandemOpenBLAS_METHOD, TandemOpenBLAS_VERSION (when known),
# TandemOpenBLAS_INCLUDE_DIRS, TandemOpenBLAS_LIBRARIES and TandemOpenBLAS_CBLAS_DIR (where
# cblas.h is expected, in words). Every helper variable is _tandem_-prefixed and unset: a
# find module runs in its caller's scope.

include(FindPackageHandleStandardArgs)

if(TARGET OpenBLAS::OpenBLAS)
  set(TandemOpenBLAS_METHOD "the existing target OpenBLAS::OpenBLAS")
  set(TandemOpenBLAS_LIBRARIES OpenBLAS::OpenBLAS)
  get_target_property(TandemOpenBLAS_INCLUDE_DIRS OpenBLAS::OpenBLAS INTERFACE_INCLUDE_DIRECTORIES)
  if(NOT TandemOpenBLAS_INCLUDE_DIRS)
    set(TandemOpenBLAS_INCLUDE_DIRS "")
  endif()
  set(TandemOpenBLAS_CBLAS_DIR "the include directories of OpenBLAS::OpenBLAS")
else()
  find_package(PkgConfig QUIET)
  if(PkgConfig_FOUND)
    pkg_check_modules(TandemOpenBLAS_PC QUIET IMPORTED_TARGET openblas)
  endif()
  if(TandemOpenBLAS_PC_FOUND)
    pkg_get_variable(_tandem_pc_dir openblas pcfiledir)
    set(TandemOpenBLAS_METHOD "pkg-config (${_tandem_pc_dir}/openblas.pc)")
    set(TandemOpenBLAS_VERSION ${TandemOpenBLAS_PC_VERSION})
    set(TandemOpenBLAS_INCLUDE_DIRS ${TandemOpenBLAS_PC_INCLUDE_DIRS})
    set(TandemOpenBLAS_LIBRARIES ${TandemOpenBLAS_PC_LINK_LIBRARIES})
    # Empty when openblas.pc says -I/usr/include: pkg-config drops system directories.
    set(TandemOpenBLAS_CBLAS_DIR "${TandemOpenBLAS_INCLUDE_DIRS}")
    if(NOT TandemOpenBLAS_CBLAS_DIR)
      set(TandemOpenBLAS_CBLAS_DIR "the compiler's default include path")
    endif()
    add_library(OpenBLAS::OpenBLAS INTERFACE IMPORTED)
    target_link_libraries(OpenBLAS::OpenBLAS INTERFACE PkgConfig::TandemOpenBLAS_PC)
  else()
    set(_tandem_bla_vendor "${BLA_VENDOR}")
    set(BLA_VENDOR OpenBLAS)
    find_package(BLAS QUIET)
    set(BLA_VENDOR "${_tandem_bla_vendor}")
    if(BLAS_FOUND)
      # Next to the library, also behind a symlink (Debian's alternatives), then the usual paths.
      set(_tandem_hints)
      foreach(_tandem_lib IN LISTS BLAS_LIBRARIES)
        if(IS_ABSOLUTE "${_tandem_lib}")
          get_filename_component(_tandem_dir "${_tandem_lib}" DIRECTORY)
          get_filename_component(_tandem_real "${_tandem_lib}" REALPATH)
          get_filename_component(_tandem_real "${_tandem_real}" DIRECTORY)
          list(APPEND _tandem_hints "${_tandem_dir}/../include" "${_tandem_real}/../include")
        endif()
      endforeach()
      find_path(TandemOpenBLAS_INCLUDE_DIR cblas.h HINTS ${_tandem_hints} PATH_SUFFIXES openblas
                DOC "Directory of OpenBLAS's own cblas.h (the one next to openblas_config.h)")
      set(TandemOpenBLAS_METHOD
          "FindBLAS (BLA_VENDOR=OpenBLAS), cblas.h from TandemOpenBLAS_INCLUDE_DIR")
      set(TandemOpenBLAS_INCLUDE_DIRS ${TandemOpenBLAS_INCLUDE_DIR})
      set(TandemOpenBLAS_LIBRARIES ${BLAS_LIBRARIES})
      set(TandemOpenBLAS_CBLAS_DIR ${TandemOpenBLAS_INCLUDE_DIR})
      if(TandemOpenBLAS_INCLUDE_DIR)
        add_library(OpenBLAS::OpenBLAS INTERFACE IMPORTED)
        target_include_directories(OpenBLAS::OpenBLAS INTERFACE ${TandemOpenBLAS_INCLUDE_DIR})
        target_link_libraries(OpenBLAS::OpenBLAS INTERFACE BLAS::BLAS)
      endif()
    endif()
  endif()
endif()

set(_tandem_reason "tandem needs OpenBLAS and its cblas.h (Debian: libopenblas-dev). Put its "
                   "openblas.pc on PKG_CONFIG_PATH or its prefix in CMAKE_PREFIX_PATH.")
string(CONCAT _tandem_reason ${_tandem_reason})
find_package_handle_standard_args(TandemOpenBLAS
  REQUIRED_VARS TandemOpenBLAS_LIBRARIES TandemOpenBLAS_CBLAS_DIR
  VERSION_VAR TandemOpenBLAS_VERSION
  REASON_FAILURE_MESSAGE "${_tandem_reason}")
foreach(_tandem_var pc_dir bla_vendor hints lib dir real reason)
  unset(_tandem_${_tandem_var})
endforeach()
unset(_tandem_var)
