#include "tandem/core/rng.hpp"

#include <cmath>

namespace tandem {

double Philox::normal() {
  const double u1 = uniform_open0();
  const double u2 = uniform_open0();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

uint64_t Philox::below(uint64_t n) {
  if (n <= 1) return 0;
  if (n <= (uint64_t{1} << 32)) {
    // Reject the top partial range so that the modulo is unbiased.
    const uint64_t limit = (uint64_t{1} << 32) - ((uint64_t{1} << 32) % n);
    while (true) {
      const uint64_t x = next_u32();
      if (x < limit) return x % n;
    }
  }
  while (true) {
    const uint64_t x = (static_cast<uint64_t>(next_u32()) << 32) | next_u32();
    const uint64_t limit = UINT64_MAX - (UINT64_MAX % n);
    if (x < limit) return x % n;
  }
}

}  // namespace tandem
