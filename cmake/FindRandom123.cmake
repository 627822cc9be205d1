# Finds Random123 (header-only counter-based RNGs, used by tandem/core/rng.hpp) as the
# target Random123::Random123. Installed with tandem: tandem's public headers need it.
include(FindPackageHandleStandardArgs)
find_path(Random123_INCLUDE_DIR Random123/philox.h DOC "Directory holding Random123/philox.h")
find_package_handle_standard_args(Random123 REQUIRED_VARS Random123_INCLUDE_DIR
  REASON_FAILURE_MESSAGE "Debian: librandom123-dev. Elsewhere set Random123_INCLUDE_DIR")
if(Random123_FOUND AND NOT TARGET Random123::Random123)
  add_library(Random123::Random123 INTERFACE IMPORTED)
  target_include_directories(Random123::Random123 INTERFACE ${Random123_INCLUDE_DIR})
endif()
