#pragma once
// bfloat16 as raw 16-bit patterns: the upper half of an IEEE float. Conversions round to
// nearest even (as oneDNN and the AVX-512 BF16 instructions do); NaN stays NaN.
#include <cstdint>
#include <cstring>

namespace tandem {

inline uint16_t to_bf16(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40u);  // quiet NaN
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

inline float from_bf16(uint16_t h) {
  const uint32_t bits = static_cast<uint32_t>(h) << 16;
  float x;
  std::memcpy(&x, &bits, sizeof x);
  return x;
}

}  // namespace tandem
