#include "tandem/data/sampler.hpp"

#include <algorithm>
#include <numeric>

#include "tandem/core/error.hpp"
#include "tandem/core/rng.hpp"

namespace tandem::data {

Sampler::Sampler(int64_t n, int64_t global_batch, uint64_t seed, bool drop_last)
    : n_(n), batch_(global_batch), seed_(seed), drop_last_(drop_last), order_(n) {
  TANDEM_USAGE_CHECK(global_batch > 0, "the batch size must be positive, got ", global_batch);
  std::iota(order_.begin(), order_.end(), 0);
}

void Sampler::start_epoch(int64_t epoch) {
  std::iota(order_.begin(), order_.end(), 0);
  Philox rng(seed_, RngPurpose::kShuffle, static_cast<uint32_t>(epoch));
  for (int64_t i = n_ - 1; i > 0; --i) std::swap(order_[i], order_[rng.below(i + 1)]);
}

int64_t Sampler::batches() const {
  return drop_last_ ? n_ / batch_ : (n_ + batch_ - 1) / batch_;
}

Slice Sampler::slice(int64_t b, int rank, int ranks) const {
  const int64_t start = b * batch_;
  const int64_t global = std::min(batch_, n_ - start);
  const int64_t base = global / ranks, extra = global % ranks;
  Slice s;
  s.global = global;
  s.count = base + (rank < extra ? 1 : 0);
  s.begin = start + rank * base + std::min<int64_t>(rank, extra);
  return s;
}

}  // namespace tandem::data
