#pragma once
// Turns (seed, epoch) into one global order of sample indices, independent of the number of
// ranks, cuts it into global batches and gives each rank its slice of each.
#include <cstdint>
#include <vector>

namespace tandem::data {

struct Slice {
  int64_t begin = 0;   // offset into the epoch order
  int64_t count = 0;   // samples this rank holds in the batch (may be 0)
  int64_t global = 0;  // samples in the whole global batch
};

class Sampler {
 public:
  Sampler(int64_t dataset_size, int64_t global_batch, uint64_t seed, bool drop_last = false);
  // Shuffles for an epoch: a Fisher-Yates permutation from Philox keyed by (seed, epoch).
  void start_epoch(int64_t epoch);
  const std::vector<int64_t>& order() const { return order_; }
  int64_t batches() const;
  // Rank r of `ranks` takes a contiguous share of batch b; shares differ by at most one.
  Slice slice(int64_t batch, int rank, int ranks) const;

 private:
  int64_t n_, batch_;
  uint64_t seed_;
  bool drop_last_;
  std::vector<int64_t> order_;
};

}  // namespace tandem::data
