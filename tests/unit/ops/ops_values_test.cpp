// Op outputs against values computed by hand or by a direct formula.
#include <gtest/gtest.h>

#include <cmath>

#include "../../support/gradcheck.hpp"
#include "tandem/core/error.hpp"
#include "tandem/ops/activations.hpp"
#include "tandem/ops/batch_norm.hpp"
#include "tandem/ops/conv.hpp"
#include "tandem/ops/dropout.hpp"
#include "tandem/ops/pool.hpp"
#include "tandem/ops/rbf.hpp"

namespace tandem {
namespace {

TEST(Conv2d, MatchesDirectConvolution) {
  // Input 1x4x4 with values 0..15, one 2x2 filter [[1, 2], [3, 4]], bias 0.5, stride 2, pad 1.
  auto g = testing::single_op_graph(
      std::make_unique<ops::Conv2d>(1, 2, 2, 1, true, graph::InitSpec{"zeros"}, graph::InitSpec{"zeros"}),
      {Shape{1, 4, 4}});
  g->plan(1);
  Tensor x = g->value(0, 1);
  for (int i = 0; i < 16; ++i) x[i] = static_cast<float>(i);
  const float w[4] = {1, 2, 3, 4};
  std::copy(w, w + 4, g->param(0).data());
  g->param(1)[0] = 0.5f;
  g->forward(1, graph::RunInfo{});
  const Tensor y = g->value(1, 1);
  ASSERT_EQ(y.shape(), (Shape{1, 1, 3, 3}));
  auto at = [&](int r, int c) {
    return (r < 0 || r > 3 || c < 0 || c > 3) ? 0.0f : static_cast<float>(r * 4 + c);
  };
  for (int oy = 0; oy < 3; ++oy)
    for (int ox = 0; ox < 3; ++ox) {
      const int r = oy * 2 - 1, c = ox * 2 - 1;
      const float want = 0.5f + 1 * at(r, c) + 2 * at(r, c + 1) + 3 * at(r + 1, c) + 4 * at(r + 1, c + 1);
      EXPECT_FLOAT_EQ(y[oy * 3 + ox], want) << oy << "," << ox;
    }
}

TEST(Softmax, ChannelAxisNormalizesEveryPixel) {
  // Sample [C=3, H=2, W=2], softmax over channels (axis 0): at each pixel, exp(x_c) / sum_c.
  auto g = testing::single_op_graph(std::make_unique<ops::Softmax>(0), {Shape{3, 2, 2}});
  g->plan(2);
  Tensor x = g->value(0, 2);
  for (int i = 0; i < 24; ++i) x[i] = static_cast<float>(std::sin(1.7 * i) * 3);
  g->forward(2, graph::RunInfo{});
  const Tensor y = g->value(1, 2);
  for (int n = 0; n < 2; ++n)
    for (int p = 0; p < 4; ++p) {
      double z = 0;
      for (int c = 0; c < 3; ++c) z += std::exp(static_cast<double>(x[n * 12 + c * 4 + p]));
      for (int c = 0; c < 3; ++c)
        EXPECT_NEAR(y[n * 12 + c * 4 + p], std::exp(static_cast<double>(x[n * 12 + c * 4 + p])) / z, 1e-6)
            << n << "," << c << "," << p;
    }
}

TEST(Rbf, GaussianOfTheDistanceToEachCentre) {
  auto g = testing::single_op_graph(std::make_unique<ops::Rbf>(2, graph::InitSpec{"zeros"}, 1.0), {Shape{2}});
  g->plan(2);
  const float c[4] = {0, 0, 1, 2};  // centres (0, 0) and (1, 2)
  std::copy(c, c + 4, g->param(0).data());
  g->param(1)[0] = 1.0f;
  g->param(1)[1] = 0.5f;
  const float x[4] = {3, 4, 1, 1};
  std::copy(x, x + 4, g->value(0, 2).data());
  g->forward(2, graph::RunInfo{});
  const Tensor y = g->value(1, 2);
  EXPECT_NEAR(y[0], std::exp(-25.0 / 2), 1e-7);   // |(3,4)|^2 = 25, sigma 1
  EXPECT_NEAR(y[1], std::exp(-8.0 / 0.5), 1e-9);  // |(2,2)|^2 = 8, sigma 0.5
  EXPECT_NEAR(y[2], std::exp(-2.0 / 2), 1e-6);    // |(1,1)|^2 = 2
  EXPECT_NEAR(y[3], std::exp(-1.0 / 0.5), 1e-6);  // |(0,-1)|^2 = 1
}

TEST(Softmax, AxisOutsideTheSampleIsRefused) {
  EXPECT_THROW(testing::single_op_graph(std::make_unique<ops::Softmax>(3), {Shape{3, 2, 2}}), UsageError);
  EXPECT_THROW(testing::single_op_graph(std::make_unique<ops::Softmax>(-4), {Shape{3, 2, 2}}), UsageError);
}

TEST(Pool2d, MaxAndAverageValues) {
  for (auto kind : {ops::Pool2d::Kind::kMax, ops::Pool2d::Kind::kAverage}) {
    auto g = testing::single_op_graph(std::make_unique<ops::Pool2d>(kind, 2, 2), {Shape{1, 2, 4}});
    g->plan(1);
    const float x[8] = {1, 5, 2, 0, 3, -1, 7, 4};
    std::copy(x, x + 8, g->value(0, 1).data());
    g->forward(1, graph::RunInfo{});
    const Tensor y = g->value(1, 1);
    if (kind == ops::Pool2d::Kind::kMax) {
      EXPECT_EQ(y[0], 5);
      EXPECT_EQ(y[1], 7);
    } else {
      EXPECT_FLOAT_EQ(y[0], 2.0f);
      EXPECT_FLOAT_EQ(y[1], 13.0f / 4);
    }
  }
}

TEST(BatchNorm, NormalizesAndUpdatesRunningStatistics) {
  auto g = testing::single_op_graph(std::make_unique<ops::BatchNorm>(nullptr, 0.1, 1e-5), {Shape{2}});
  g->plan(4);
  // gamma = 1, beta = 0 (the op's own defaults are applied by the initializer; set them here).
  g->param(0).data()[0] = g->param(0).data()[1] = 1.0f;
  const float x[8] = {1, 10, 2, 20, 3, 30, 6, 40};  // feature 0: 1,2,3,6; feature 1: 10..40
  std::copy(x, x + 8, g->value(0, 4).data());
  graph::RunInfo run;
  g->forward(4, run);
  const Tensor y = g->value(1, 4);
  const double m0 = 3.0, v0 = (4 + 1 + 0 + 9) / 4.0;
  for (int n = 0; n < 4; ++n) EXPECT_NEAR(y[n * 2], (x[n * 2] - m0) / std::sqrt(v0 + 1e-5), 1e-5);
  // Running statistics: 0.9 * initial + 0.1 * batch (unbiased variance).
  const int mean_ref = 0, var_ref = 1;
  EXPECT_NEAR(g->state_tensor(mean_ref)[0], 0.1 * m0, 1e-6);
  EXPECT_NEAR(g->state_tensor(var_ref)[0], 0.9 + 0.1 * v0 * 4 / 3, 1e-5);
  EXPECT_NEAR(g->state_tensor(mean_ref)[1], 0.1 * 25, 1e-5);
}

TEST(Dropout, MaskDependsOnSampleNotPosition) {
  auto g = testing::single_op_graph(std::make_unique<ops::Dropout>(0.5), {Shape{64}});
  g->plan(2);
  Tensor x = g->value(0, 2);
  for (int64_t i = 0; i < x.numel(); ++i) x[i] = 1.0f;
  graph::RunInfo run;
  run.seed = 3;
  run.epoch = 2;
  const int64_t ids_a[2] = {17, 42};
  run.sample_ids = ids_a;
  g->forward(2, run);
  std::vector<float> first(g->value(1, 2).data(), g->value(1, 2).data() + 128);
  const int64_t ids_b[2] = {42, 17};  // same samples, other rows (as on another rank)
  run.sample_ids = ids_b;
  g->forward(2, run);
  const Tensor y = g->value(1, 2);
  int kept = 0;
  for (int j = 0; j < 64; ++j) {
    EXPECT_EQ(first[j], y[64 + j]);
    EXPECT_EQ(first[64 + j], y[j]);
    EXPECT_TRUE(first[j] == 0.0f || first[j] == 2.0f);  // inverted scaling 1 / (1 - 0.5)
    kept += first[j] != 0.0f;
  }
  EXPECT_GT(kept, 16);
  EXPECT_LT(kept, 48);
  run.epoch = 3;  // a new epoch draws a new mask
  g->forward(2, run);
  int same = 0;
  for (int j = 0; j < 64; ++j) same += g->value(1, 2)[64 + j] == first[j];
  EXPECT_LT(same, 64);
}

}  // namespace
}  // namespace tandem
