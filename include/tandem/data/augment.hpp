#pragma once
// On-the-fly training augmentation. Every random choice for a sample comes from Philox keyed
// by (seed, epoch, sample index), so a sample is transformed the same way whichever rank,
// micro-batch or resume step draws it. Evaluation never augments.
#include <cstdint>
#include <string>
#include <vector>

#include "tandem/tensor/shape.hpp"

namespace tandem::data {

struct AugmentConfig {
  bool flip = false;      // horizontal flip with probability 1/2
  int64_t crop_pad = 0;   // zero-pad by P pixels on every side, crop back at a random offset
  double brightness = 0;  // add delta ~ U[-B, B] to every value
  double contrast = 0;    // scale around the sample's mean by U[1 - C, 1 + C]
  double tint = 0;        // add delta_c ~ U[-T, T] to every value of channel c
  bool active() const { return flip || crop_pad > 0 || brightness > 0 || contrast > 0 || tint > 0; }
  std::string str() const;  // the canonical list, "flip,crop:4,..." ("none" when inactive)
};

// "none" or a comma list of flip, crop:P, brightness:B, contrast:C, tint:T; UsageError naming
// the bad item otherwise.
AugmentConfig parse_augment(const std::string& text);

class Augmenter {
 public:
  // sample: the per-sample shape; flip, crop and tint need [C, H, W].
  Augmenter(const AugmentConfig& config, const Shape& sample, uint64_t seed);
  bool active() const { return config_.active(); }
  // Transforms rows x [n, sample] in place; ids[i] is row i's index in the training split.
  void apply(float* x, const int64_t* ids, int64_t n, uint32_t epoch);

 private:
  void augment_one(float* x, int64_t id, uint32_t epoch);
  AugmentConfig config_;
  int64_t channels_ = 1, height_ = 1, width_ = 1;
  uint64_t seed_;
  std::vector<float> copy_;  // one sample, for the crop
};

}  // namespace tandem::data
