#pragma once
// x rounded to the nearest bf16 (ties to even), as oneDNN's conversion does; written out here
// independently of tandem's own conversion, for reference sums in tests.
#include <cstdint>
#include <cstring>

namespace tandem::testing {

inline double rounded_to_bf16(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  bits = (bits + 0x7fffu + ((bits >> 16) & 1u)) & 0xffff0000u;
  float r;
  std::memcpy(&r, &bits, sizeof r);
  return r;
}

}  // namespace tandem::testing
