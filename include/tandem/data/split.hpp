#pragma once
// Carving a stratified validation set out of the training split.
#include <cstdint>
#include <span>
#include <vector>

namespace tandem::data {

struct SplitIds {
  std::vector<int64_t> train, val;  // row indices, each in increasing order
};

// Puts round(fraction * N) samples into `val`, each class contributing the floor or ceiling of
// its proportional share; which samples go is a Philox draw keyed by `seed` alone, so every
// rank and every run with the same seed agree.
SplitIds stratified_split(std::span<const int32_t> labels, double fraction, uint64_t seed);

}  // namespace tandem::data
