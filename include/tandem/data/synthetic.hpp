#pragma once
// A synthetic many-class dataset (tandem convert synthetic): every class has a prototype vector
// of standard normal features; a sample is its class's prototype plus `noise` times standard
// normal noise. Everything comes from the counter-based Philox generator keyed by the seed and
// the class, split and row, so the file depends on nothing but the options. With `zipf` > 0 the
// training class counts fall off as 1/(c+1)^zipf (the case a Huffman tree is for); the test
// split is always uniform.
#include <cstdint>
#include <vector>

#include "tandem/data/table.hpp"

namespace tandem::data {

struct SyntheticOptions {
  int64_t classes = 0;          // C
  int64_t features = 0;         // D, the length of a sample
  int64_t train_per_class = 0;  // N: the training split has about C*N rows
  int64_t test_per_class = 0;   // M: the test split has exactly M rows per class
  double noise = 1.0;           // SIGMA, the standard deviation of the noise around a prototype
  double zipf = 0;              // S: training counts proportional to 1/(c+1)^S (0: N per class)
  uint64_t seed = 1;
};

// Checks the options; the error names the option and the fix.
void check_synthetic(const SyntheticOptions& o);

// The number of training rows of each class: N each, or with zipf S, C*N shared out in
// proportion to 1/(c+1)^S, rounded, at least 1 each.
std::vector<int64_t> synthetic_train_counts(const SyntheticOptions& o);

// The prototype of class c: [features] standard normal values.
std::vector<float> synthetic_prototype(const SyntheticOptions& o, int64_t c);

// The whole dataset, rows in a seeded shuffled order (so --train-limit keeps every class in
// proportion), class names "c0", "c1", ...
Table synthetic_table(const SyntheticOptions& o);

}  // namespace tandem::data
