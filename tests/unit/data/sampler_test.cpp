#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "tandem/data/sampler.hpp"

namespace tandem {
namespace {

TEST(Sampler, EveryEpochIsAPermutationAndEpochsDiffer) {
  data::Sampler s(1000, 64, 7);
  s.start_epoch(0);
  auto first = s.order();
  auto sorted = first;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 1000; ++i) ASSERT_EQ(sorted[i], i);
  s.start_epoch(1);
  EXPECT_NE(s.order(), first);
  s.start_epoch(0);
  EXPECT_EQ(s.order(), first);  // a function of (seed, epoch) only
}

TEST(Sampler, SlicesCoverEachBatchExactlyOnceForAnyRankCount) {
  for (int64_t n : {1, 5, 100, 101, 127}) {
    for (int64_t batch : {1, 3, 16, 200}) {
      for (int ranks : {1, 2, 3, 4}) {
        data::Sampler s(n, batch, 1);
        std::vector<int> seen(n, 0);
        for (int64_t b = 0; b < s.batches(); ++b) {
          int64_t next = b * batch, total = 0;
          for (int r = 0; r < ranks; ++r) {
            const auto sl = s.slice(b, r, ranks);
            EXPECT_EQ(sl.begin, next);  // contiguous, in rank order
            EXPECT_EQ(sl.global, std::min(batch, n - b * batch));
            next += sl.count;
            total += sl.count;
            for (int64_t i = 0; i < sl.count; ++i) ++seen[sl.begin + i];
          }
          EXPECT_EQ(total, std::min(batch, n - b * batch));
        }
        for (int64_t i = 0; i < n; ++i) ASSERT_EQ(seen[i], 1) << n << " " << batch << " " << ranks;
      }
    }
  }
}

}  // namespace
}  // namespace tandem
