#pragma once
// The multi-input, multi-label example dataset: pairs of images from a single-input image
// dataset (Fashion-MNIST), so that one file serves multi-input, multi-label and multi-output
// models. For split S with N samples, sample i pairs image i with image p(i) of a Philox
// permutation p (keyed by seed and split):
//
//     /S/x/left, /S/x/right    uint8 [N, C, H, W]  (scale copied)
//     /S/y/left, /S/y/right    int32 [N]           each image's class
//     /S/y/present             float32 [N, K]      1 for each class in the pair (one or two labels)
#include <cstdint>
#include <string>

namespace tandem::data {

// limit > 0 keeps the first `limit` samples of each split of `from`.
void make_pairs(const std::string& from, const std::string& out, uint64_t seed, int64_t limit = 0);

}  // namespace tandem::data
