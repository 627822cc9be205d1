#include "tandem/core/float_mode.hpp"

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#define TANDEM_HAVE_MXCSR 1
#endif

namespace tandem::core {
namespace {
#ifdef TANDEM_HAVE_MXCSR
constexpr unsigned kFlushToZero = 0x8000, kDenormalsAreZero = 0x0040;  // MXCSR bits 15 and 6
#endif
}  // namespace

bool flush_subnormals_to_zero() {
#ifdef TANDEM_HAVE_MXCSR
  _mm_setcsr(_mm_getcsr() | kFlushToZero | kDenormalsAreZero);
  return true;
#else
  return false;
#endif
}

bool flushing_subnormals() {
#ifdef TANDEM_HAVE_MXCSR
  const unsigned both = kFlushToZero | kDenormalsAreZero;
  return (_mm_getcsr() & both) == both;
#else
  return false;
#endif
}

}  // namespace tandem::core
