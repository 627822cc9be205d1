// Hard-example emphasis: the weights' definition, and the sampler drawing by them while
// keeping every batch's class counts.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "tandem/data/hard_examples.hpp"
#include "tandem/data/sampler.hpp"

namespace tandem {
namespace {

TEST(HardExamples, WeightsMixUniformAndCappedLossWithinEachClass) {
  // Class 0: losses 1, 1, 1, 97 (mean 25, cap 2 -> the outlier counts 50); class 1: 2, unseen.
  const std::vector<int32_t> labels{0, 0, 1, 0, 0, 1};
  const std::vector<double> loss{1, 1, 2, 1, 97, -1};
  const auto p = data::emphasis_weights(labels, loss, 0.5, 2.0);
  const double total0 = 1 + 1 + 1 + 50;
  EXPECT_NEAR(p[0], 0.5 / 4 + 0.5 * 1 / total0, 1e-12);
  EXPECT_NEAR(p[4], 0.5 / 4 + 0.5 * 50 / total0, 1e-12);
  // The unseen sample counts at its class mean (2): both class-1 samples equally likely.
  EXPECT_NEAR(p[2], 0.5, 1e-12);
  EXPECT_NEAR(p[5], 0.5, 1e-12);
  EXPECT_NEAR(p[0] + p[1] + p[3] + p[4], 1.0, 1e-12);
  // mix 0: uniform whatever the losses.
  const auto u = data::emphasis_weights(labels, loss, 0.0, 2.0);
  for (size_t i : {0u, 1u, 3u, 4u}) EXPECT_NEAR(u[i], 0.25, 1e-12);
}

TEST(HardExamples, SamplerDrawsInProportionAndKeepsClassCounts) {
  // 30 samples, 3 classes of 10; in class 0, sample 3 has half the probability mass.
  std::vector<int32_t> labels(30);
  for (int i = 0; i < 30; ++i) labels[i] = i % 3;
  std::vector<double> w(30, 0.1);
  for (int i = 0; i < 30; i += 3) w[i] = 0.5 / 9;
  w[3] = 0.5;
  data::Sampler plain(labels, 8, 7), hard(labels, 8, 7);
  hard.set_emphasis(w);
  int64_t draws = 0, of3 = 0;
  for (int64_t e = 0; e < 300; ++e) {
    plain.start_epoch(e);
    hard.start_epoch(e);
    ASSERT_EQ(plain.batches(), hard.batches());
    for (int64_t b = 0; b < hard.batches(); ++b) {
      const auto pc = plain.batch_counts(b), hc = hard.batch_counts(b);
      ASSERT_TRUE(std::equal(pc.begin(), pc.end(), hc.begin())) << "epoch " << e << " batch " << b;
      for (int64_t id : hard.batch(b)) {
        if (labels[id] == 0) ++draws, of3 += id == 3;
      }
      // The ranks' shards still partition the batch.
      std::vector<int64_t> joined;
      for (int r = 0; r < 3; ++r) {
        const auto s = hard.shard(b, r, 3);
        joined.insert(joined.end(), s.begin(), s.end());
      }
      std::vector<int64_t> whole(hard.batch(b).begin(), hard.batch(b).end());
      std::sort(joined.begin(), joined.end());
      std::sort(whole.begin(), whole.end());
      ASSERT_EQ(joined, whole);
    }
  }
  EXPECT_EQ(draws, 3000);
  EXPECT_NEAR(static_cast<double>(of3) / draws, 0.5, 0.03);
}

}  // namespace
}  // namespace tandem
