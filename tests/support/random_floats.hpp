#pragma once
// Test inputs: n floats uniform in [lo, hi), from Philox keyed by (seed, stream).
#include <cstdint>
#include <vector>

#include "tandem/core/rng.hpp"

namespace tandem::testing {

inline std::vector<float> uniform_floats(size_t n, uint64_t seed, uint32_t stream, float lo = -1,
                                         float hi = 1) {
  Philox rng(seed, RngPurpose::kInit, stream);
  std::vector<float> v(n);
  for (auto& x : v) x = lo + (hi - lo) * rng.uniform();
  return v;
}

}  // namespace tandem::testing
