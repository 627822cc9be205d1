// Sampler properties over many seeds, dataset sizes, class mixes and rank counts, checked
// against the definitions (not against recorded orders).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "tandem/core/error.hpp"
#include "tandem/core/rng.hpp"
#include "tandem/data/sampler.hpp"
#include "tandem/data/split.hpp"

namespace tandem {
namespace {

std::vector<int32_t> random_labels(int64_t n, int classes, uint64_t seed, bool skewed) {
  Philox rng(seed, RngPurpose::kInit, 99);
  std::vector<int32_t> y(n);
  for (auto& v : y) {
    // Skewed: class c drawn with weight c + 1.
    if (skewed) {
      const uint64_t total = static_cast<uint64_t>(classes) * (classes + 1) / 2;
      uint64_t t = rng.below(total);
      int c = 0;
      while (t >= static_cast<uint64_t>(c + 1)) t -= static_cast<uint64_t>(++c);
      v = c;
    } else {
      v = static_cast<int32_t>(rng.below(classes));
    }
  }
  return y;
}

struct Case {
  int64_t n, batch;
  int classes;
  bool skewed;
};

// Every property for one dataset, over two epochs and ranks 1..5.
void check_case(const Case& k, uint64_t seed) {
  SCOPED_TRACE("n=" + std::to_string(k.n) + " batch=" + std::to_string(k.batch) +
               " classes=" + std::to_string(k.classes) + " seed=" + std::to_string(seed));
  const auto labels = random_labels(k.n, k.classes, seed, k.skewed);
  std::vector<int64_t> class_size(k.classes, 0);
  for (int32_t y : labels) ++class_size[y];
  data::Sampler s(labels, k.batch, seed);
  data::Sampler other(labels, k.batch, seed);  // used with other rank counts
  std::vector<int64_t> previous;
  for (int64_t epoch = 0; epoch < 2; ++epoch) {
    s.start_epoch(epoch);
    other.start_epoch(epoch);
    ASSERT_EQ(s.order(), other.order());
    // Exactly once per epoch; full batches then one smaller.
    ASSERT_EQ(s.batches(), (k.n + k.batch - 1) / k.batch);
    std::vector<int> seen(k.n, 0);
    for (int64_t b = 0; b < s.batches(); ++b) {
      const int64_t size = s.batch_size(b);
      ASSERT_EQ(size, std::min(k.batch, k.n - b * k.batch));
      // Class balance of the global batch: within 1 of the proportional share.
      std::vector<int64_t> in_batch(k.classes, 0);
      for (int64_t id : s.batch(b)) {
        ++seen[id];
        ++in_batch[labels[id]];
      }
      for (int c = 0; c < k.classes; ++c) {
        ASSERT_EQ(in_batch[c], s.batch_counts(b)[c]);
        const double share = static_cast<double>(size) * class_size[c] / k.n;
        ASSERT_LT(std::abs(in_batch[c] - share), 1.0) << "class " << c << " in batch " << b;
      }
      // Rank shards: a partition of the batch, sizes differing by at most one, balanced.
      for (int ranks = 1; ranks <= 5; ++ranks) {
        std::vector<int64_t> gathered;
        for (int r = 0; r < ranks; ++r) {
          const auto shard = other.shard(b, r, ranks);
          ASSERT_EQ(static_cast<int64_t>(shard.size()), data::slice_size(size, r, ranks));
          std::vector<int64_t> in_shard(k.classes, 0);
          for (int64_t id : shard) ++in_shard[labels[id]];
          for (int c = 0; c < k.classes; ++c) {
            const double of_split = static_cast<double>(shard.size()) * class_size[c] / k.n;
            const double of_batch = static_cast<double>(shard.size()) * in_batch[c] / size;
            // Within 1 of the rank's share of the training split, or (when the batch's own
            // rounding forbids it) floor/ceil of its share of the batch.
            ASSERT_TRUE(std::abs(in_shard[c] - of_split) <= 1.0 || std::abs(in_shard[c] - of_batch) < 1.0)
                << "class " << c << ": " << in_shard[c] << " on rank " << r << "/" << ranks << ", share "
                << of_split;
          }
          gathered.insert(gathered.end(), shard.begin(), shard.end());
        }
        std::vector<int64_t> whole(s.batch(b).begin(), s.batch(b).end());
        std::sort(gathered.begin(), gathered.end());
        std::sort(whole.begin(), whole.end());
        ASSERT_EQ(gathered, whole) << "shards of " << ranks << " ranks do not partition batch " << b;
      }
    }
    for (int64_t i = 0; i < k.n; ++i) ASSERT_EQ(seen[i], 1) << "sample " << i;
    if (epoch == 1 && k.n > 3) {
      EXPECT_NE(s.order(), previous) << "same order in two epochs";
    }
    previous = s.order();
  }
}

TEST(Sampler, CoverageBalanceAndRankIndependenceOverManyCases) {
  const Case cases[] = {
      {1000, 64, 10, false},  // N not divisible by B
      {1000, 100, 10, true},  // divisible, skewed classes
      {37, 64, 3, false},     // N < B: one batch
      {70, 16, 5, true},      // last batch of 6 (fewer than classes)
      {23, 4, 5, false},      // batches smaller than the class count; 5 ranks: empty shards
      {513, 128, 2, true},   {300, 7, 4, false}, {12, 12, 1, false},  // one class
  };
  for (const auto& k : cases)
    for (uint64_t seed = 0; seed < 12; ++seed) check_case(k, seed);
}

// A rank's micro-batches are the shares of ranks x k ranks: one rank with k micro-batches deals
// a batch exactly as k ranks do, the micro-batches of all ranks partition the batch, and each
// is within 1 of its class-proportional share of every class.
TEST(Sampler, MicroShardsAreTheSharesOfRanksTimesMicroBatches) {
  const auto labels = random_labels(997, 7, 5, true);
  data::Sampler sampler(labels, 200, 3);
  sampler.start_epoch(1);
  std::vector<int64_t> bounds;
  for (int64_t b = 0; b < sampler.batches(); ++b)
    for (const auto& [ranks, k] : {std::pair{1, 4}, std::pair{2, 3}, std::pair{3, 1}}) {
      std::vector<int64_t> all;
      for (int r = 0; r < ranks; ++r) {
        const auto ids = sampler.micro_shards(b, r, ranks, k, bounds);
        const std::vector<int64_t> got(ids.begin(), ids.end());
        const auto cut = bounds;
        ASSERT_EQ(cut.size(), static_cast<size_t>(k + 1));
        for (int64_t m = 0; m < k; ++m) {
          const auto want = sampler.shard(b, static_cast<int>(r * k + m), static_cast<int>(ranks * k));
          ASSERT_EQ(std::vector<int64_t>(got.begin() + cut[m], got.begin() + cut[m + 1]),
                    std::vector<int64_t>(want.begin(), want.end()))
              << "batch " << b << " rank " << r << " micro-batch " << m;
        }
        all.insert(all.end(), got.begin(), got.end());
      }
      const auto batch = sampler.batch(b);
      std::vector<int64_t> expected(batch.begin(), batch.end());
      std::sort(all.begin(), all.end());
      std::sort(expected.begin(), expected.end());
      EXPECT_EQ(all, expected) << "batch " << b << ": the micro-batches of " << ranks
                               << " rank(s) partition it";
    }
}

TEST(Sampler, DropLastSkipsOnlyTheSmallerBatch) {
  const auto labels = random_labels(1000, 10, 3, false);
  data::Sampler keep(labels, 64, 3), drop(labels, 64, 3, true);
  keep.start_epoch(4);
  drop.start_epoch(4);
  EXPECT_EQ(keep.batches(), 16);
  EXPECT_EQ(drop.batches(), 15);
  for (int64_t b = 0; b < 15; ++b) EXPECT_TRUE(std::ranges::equal(keep.batch(b), drop.batch(b)));
}

TEST(Sampler, OrderDependsOnSeedAndEpochOnly) {
  const auto labels = random_labels(500, 7, 1, true);
  data::Sampler a(labels, 50, 11), b(labels, 50, 11), c(labels, 50, 12);
  a.start_epoch(3);
  b.start_epoch(0);
  b.start_epoch(3);  // history does not matter
  c.start_epoch(3);
  EXPECT_EQ(a.order(), b.order());
  EXPECT_NE(a.order(), c.order());
}

TEST(StratifiedSplit, SizesBalanceDeterminismAndDisjointness) {
  const auto labels = random_labels(997, 6, 2, true);
  std::vector<int64_t> class_size(6, 0);
  for (int32_t y : labels) ++class_size[y];
  const auto s = data::stratified_split(labels, 0.1, 5);
  EXPECT_EQ(s.val.size(), 100u);
  EXPECT_EQ(s.train.size(), 897u);
  std::vector<int64_t> all(s.train);
  all.insert(all.end(), s.val.begin(), s.val.end());
  std::sort(all.begin(), all.end());
  for (int64_t i = 0; i < 997; ++i) ASSERT_EQ(all[i], i);
  std::vector<int64_t> per_class(6, 0);
  for (int64_t id : s.val) ++per_class[labels[id]];
  for (int c = 0; c < 6; ++c) EXPECT_LT(std::abs(per_class[c] - 100.0 * class_size[c] / 997), 1.0);
  EXPECT_EQ(data::stratified_split(labels, 0.1, 5).val, s.val);
  EXPECT_NE(data::stratified_split(labels, 0.1, 6).val, s.val);
  EXPECT_THROW(data::stratified_split(labels, 1.0, 5), UsageError);
  EXPECT_THROW(data::stratified_split(labels, 0.0001, 5), UsageError);
}

}  // namespace
}  // namespace tandem
