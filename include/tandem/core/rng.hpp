#pragma once
// Counter-based random numbers (Philox4x32-10 from Random123). A stream is identified by a
// key (seed, purpose) and a counter (e.g. epoch, sample index, node, block), so a value
// depends only on what it is for, never on which rank or thread draws it.
#include <array>
#include <cstdint>

#include <Random123/philox.h>

namespace tandem {

// Purposes keep streams that share the other coordinates apart.
enum class RngPurpose : uint32_t {
  kInit = 1,
  kShuffle = 2,
  kDropout = 3,
  kAugment = 4,
  kSplit = 5,
  kSynthetic = 6,
};

class Philox {
 public:
  // key = (seed low, seed high ^ purpose); counter words c0..c2 name the stream,
  // the last counter word walks through it.
  Philox(uint64_t seed, RngPurpose purpose, uint32_t c0 = 0, uint32_t c1 = 0, uint32_t c2 = 0)
      : key_{{static_cast<uint32_t>(seed),
              static_cast<uint32_t>(seed >> 32) ^ (static_cast<uint32_t>(purpose) << 24)}},
        ctr_{{c0, c1, c2, 0}} {}

  // Next four 32-bit words of the stream.
  std::array<uint32_t, 4> next4() {
    r123::Philox4x32 gen;
    auto out = gen(ctr_, key_);
    ++ctr_.v[3];
    return {out.v[0], out.v[1], out.v[2], out.v[3]};
  }

  uint32_t next_u32() {
    if (pos_ == 4) {
      buf_ = next4();
      pos_ = 0;
    }
    return buf_[pos_++];
  }

  // Uniform in [0, 1), 24 bits of mantissa.
  float uniform() { return static_cast<float>(next_u32() >> 8) * (1.0f / 16777216.0f); }

  // Uniform in (0, 1], for logarithms.
  double uniform_open0() { return (static_cast<double>(next_u32()) + 1.0) / 4294967296.0; }

  // Standard normal (Box-Muller, one value per call for simplicity).
  double normal();

  // Uniform integer in [0, n) without modulo bias.
  uint64_t below(uint64_t n);

 private:
  r123::Philox4x32::key_type key_;
  r123::Philox4x32::ctr_type ctr_;
  std::array<uint32_t, 4> buf_{};
  int pos_ = 4;
};

}  // namespace tandem
