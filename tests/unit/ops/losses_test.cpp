#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "tandem/core/error.hpp"
#include "tandem/ops/losses.hpp"

namespace tandem {
namespace {

TEST(SoftmaxCrossEntropy, HandComputedValueAndGradient) {
  // logits [1, 2, 3], label 2: loss = log(e + e^2 + e^3) - 3 = 0.40760596.
  // logits [0, 0], label 0: loss = log 2.
  std::vector<float> z = {1, 2, 3, 0, 0, 0};
  std::vector<int32_t> y = {2, 0};
  std::vector<float> grad(6);
  ops::SoftmaxCrossEntropy loss;
  ops::Targets t;
  t.labels = y.data();
  const double total =
      loss.forward_backward(Tensor(z.data(), Shape{2, 3}), t, 0.5f, Tensor(grad.data(), Shape{2, 3}));
  EXPECT_NEAR(total, 0.40760596 + std::log(3.0), 1e-6);
  const double s = std::exp(1) + std::exp(2) + std::exp(3);
  EXPECT_NEAR(grad[0], 0.5 * std::exp(1) / s, 1e-7);
  EXPECT_NEAR(grad[2], 0.5 * (std::exp(3) / s - 1), 1e-7);
  EXPECT_NEAR(grad[3], 0.5 * (1.0 / 3 - 1), 1e-7);
}

TEST(SoftmaxCrossEntropy, StableForHugeLogits) {
  std::vector<float> z = {1000, 0, -1000};
  std::vector<int32_t> y = {1};
  std::vector<float> grad(3);
  ops::SoftmaxCrossEntropy loss;
  ops::Targets t;
  t.labels = y.data();
  const double v =
      loss.forward_backward(Tensor(z.data(), Shape{1, 3}), t, 1.0f, Tensor(grad.data(), Shape{1, 3}));
  EXPECT_NEAR(v, 1000.0, 1e-3);
  EXPECT_NEAR(grad[0], 1.0, 1e-6);
  EXPECT_NEAR(grad[1], -1.0, 1e-6);
  EXPECT_TRUE(std::isfinite(grad[2]));
}

TEST(MeanSquaredError, HandComputedValue) {
  std::vector<float> p = {1, 2, 0.5f, -1};
  std::vector<float> target = {0, 2, 1.5f, 1};
  std::vector<float> grad(4);
  ops::MeanSquaredError loss;
  ops::Targets t;
  t.values = Tensor(target.data(), Shape{2, 2});
  // sample 0: (1 + 0) / 2 = 0.5; sample 1: (1 + 4) / 2 = 2.5
  const double v =
      loss.forward_backward(Tensor(p.data(), Shape{2, 2}), t, 1.0f, Tensor(grad.data(), Shape{2, 2}));
  EXPECT_NEAR(v, 3.0, 1e-7);
  EXPECT_NEAR(grad[0], 1.0, 1e-7);  // 2 (p - t) / K
  EXPECT_NEAR(grad[3], -2.0, 1e-7);
}

TEST(Losses, GradientAndJvpMatchFiniteDifferences) {
  std::vector<int32_t> y = {1, 3, 0};
  std::vector<float> target(12);
  for (int i = 0; i < 12; ++i) target[i] = 0.1f * i - 0.3f;
  std::vector<float> multi_hot(12);  // bce targets: labels on and off, and a soft 0.3
  for (int i = 0; i < 12; ++i) multi_hot[i] = i % 3 == 0 ? 1.0f : i % 5 == 0 ? 0.3f : 0.0f;
  for (int which = 0; which < 5; ++which) {
    std::unique_ptr<ops::Loss> loss;
    ops::Targets t;
    t.labels = y.data();
    if (which == 4) {
      loss = std::make_unique<ops::BinaryCrossEntropyLogits>();
      t.labels = nullptr;
      t.values = Tensor(multi_hot.data(), Shape{3, 4});
    }
    if (which == 0) loss = std::make_unique<ops::SoftmaxCrossEntropy>();
    if (which == 3)
      loss = std::make_unique<ops::ClassWeighted>(std::make_unique<ops::SoftmaxCrossEntropy>(),
                                                  std::vector<float>{0.5f, 2.0f, 1.0f, 3.0f});
    if (which == 1) loss = std::make_unique<ops::MeanSquaredError>();
    if (which == 2) {
      loss = std::make_unique<ops::MeanSquaredError>();
      t.labels = nullptr;
      t.values = Tensor(target.data(), Shape{3, 4});
    }
    std::vector<float> z(12), grad(12), dir(12);
    for (int i = 0; i < 12; ++i) {
      z[i] = std::sin(1.3f * i);
      dir[i] = std::cos(0.7f * i);
    }
    const Tensor zt(z.data(), Shape{3, 4});
    loss->forward_backward(zt, t, 1.0f, Tensor(grad.data(), Shape{3, 4}));
    double along = 0;
    for (int i = 0; i < 12; ++i) {
      const float s = z[i];
      const double h = 1e-2;
      z[i] = s + h;
      const double up = loss->forward_backward(zt, t, 1.0f, Tensor());
      z[i] = s - h;
      const double down = loss->forward_backward(zt, t, 1.0f, Tensor());
      z[i] = s;
      EXPECT_NEAR(grad[i], (up - down) / (2 * h), 2e-3) << loss->name() << " coordinate " << i;
      along += grad[i] * dir[i];
    }
    EXPECT_NEAR(loss->jvp(zt, t, Tensor(dir.data(), Shape{3, 4})), along, 1e-5) << loss->name();
  }
}

// -t log s(z) - (1 - t) log(1 - s(z)) in double, averaged over the K labels of a row: the
// textbook form the stable max(z,0) - zt + log(1 + e^-|z|) must equal.
TEST(Losses, BinaryCrossEntropyOnLogitsMatchesItsDefinition) {
  const std::vector<float> z = {-30.0f, -2.0f, 0.0f, 0.5f, 3.0f, 25.0f};
  const std::vector<float> y = {0.0f, 1.0f, 1.0f, 0.0f, 0.25f, 1.0f};
  ops::Targets t;
  t.values = Tensor(const_cast<float*>(y.data()), Shape{2, 3});
  std::vector<float> per_sample(2), grad(6);
  t.per_sample = per_sample.data();
  ops::BinaryCrossEntropyLogits bce;
  const double total = bce.forward_backward(Tensor(const_cast<float*>(z.data()), Shape{2, 3}), t, 0.5f,
                                            Tensor(grad.data(), Shape{2, 3}));
  double want = 0;
  for (int r = 0; r < 2; ++r) {
    double row = 0;
    for (int j = 0; j < 3; ++j) {
      const double zz = z[r * 3 + j], yy = y[r * 3 + j];
      // log s(z) = -log1p(e^-z) and log(1 - s(z)) = -log1p(e^z): exact in double for |z| <= 30.
      row += yy * std::log1p(std::exp(-zz)) + (1 - yy) * std::log1p(std::exp(zz));
      const double s = 1 / (1 + std::exp(-zz));
      EXPECT_NEAR(grad[r * 3 + j], 0.5 * (s - yy) / 3, 1e-7) << r << "," << j;
    }
    EXPECT_NEAR(per_sample[r], row / 3, 1e-5 * (1 + row));
    want += row / 3;
  }
  EXPECT_NEAR(total, want, 1e-9 * (1 + want));
  EXPECT_EQ(bce.targets(), ops::Loss::Kind::kValues);
  EXPECT_EQ(ops::make_loss("binary_cross_entropy")->name(), "bce_logits");
}

TEST(Losses, ClassWeightsScaleEachSamplesLossAndGradient) {
  std::vector<int32_t> y = {1, 3, 0};
  std::vector<float> z(12), plain(12), weighted(12);
  for (int i = 0; i < 12; ++i) z[i] = std::sin(0.9f * i);
  const std::vector<float> w{0.5f, 2.0f, 1.0f, 3.0f};
  ops::Targets t;
  t.labels = y.data();
  ops::SoftmaxCrossEntropy ce;
  ops::ClassWeighted wce(std::make_unique<ops::SoftmaxCrossEntropy>(), w);
  const Tensor zt(z.data(), Shape{3, 4});
  double want = 0;
  for (int r = 0; r < 3; ++r) {
    ops::Targets row;
    row.labels = y.data() + r;
    want += w[y[r]] * ce.forward_backward(Tensor(z.data() + 4 * r, Shape{1, 4}), row, 1.0f, Tensor());
  }
  ce.forward_backward(zt, t, 0.25f, Tensor(plain.data(), Shape{3, 4}));
  EXPECT_NEAR(wce.forward_backward(zt, t, 0.25f, Tensor(weighted.data(), Shape{3, 4})), want, 1e-6);
  for (int i = 0; i < 12; ++i) EXPECT_NEAR(weighted[i], w[y[i / 4]] * plain[i], 1e-7) << i;
}

TEST(Losses, PerSampleLossesAreTheRowsOfTheSum) {
  std::vector<int32_t> y = {1, 3, 0};
  std::vector<float> z(12);
  for (int i = 0; i < 12; ++i) z[i] = std::sin(0.9f * i) * 2;
  const Tensor zt(z.data(), Shape{3, 4});
  std::vector<std::unique_ptr<ops::Loss>> losses;
  losses.push_back(std::make_unique<ops::SoftmaxCrossEntropy>());
  losses.push_back(std::make_unique<ops::MeanSquaredError>());
  losses.push_back(std::make_unique<ops::L1>());
  losses.push_back(std::make_unique<ops::MulticlassHinge>(true));
  losses.push_back(std::make_unique<ops::ClassWeighted>(std::make_unique<ops::SoftmaxCrossEntropy>(),
                                                        std::vector<float>{2, 2, 2, 2}));
  for (auto& loss : losses) {
    std::vector<float> per(3, -1);
    ops::Targets t;
    t.labels = y.data();
    t.per_sample = per.data();
    const double total = loss->forward_backward(zt, t, 1.0f, Tensor());
    double sum = 0;
    for (int r = 0; r < 3; ++r) {
      ops::Targets row;
      row.labels = y.data() + r;
      const double alone = loss->forward_backward(Tensor(z.data() + 4 * r, Shape{1, 4}), row, 1.0f, Tensor());
      // Class weights (2 everywhere, the last loss) scale the sum, not the per-sample value.
      const double plain = &loss == &losses.back() ? alone / 2 : alone;
      EXPECT_NEAR(per[r], plain, 1e-5) << loss->name() << " row " << r;
      sum += alone;
    }
    EXPECT_NEAR(total, sum, 1e-5) << loss->name();
  }
}

TEST(Losses, ClassWeightOptionsAreParsedOrRefused) {
  const std::vector<int32_t> labels{0, 0, 0, 1, 2, 2};  // counts 3, 1, 2 of 6
  const auto balanced = ops::parse_class_weights("balanced", labels, 3);
  EXPECT_NEAR(balanced[0], 6.0 / 9, 1e-6);
  EXPECT_NEAR(balanced[1], 6.0 / 3, 1e-6);
  EXPECT_NEAR(balanced[2], 6.0 / 6, 1e-6);
  EXPECT_EQ(ops::parse_class_weights("1,2.5,0", labels, 3), (std::vector<float>{1, 2.5f, 0}));
  EXPECT_THROW(ops::parse_class_weights("1,2", labels, 3), UsageError);
  EXPECT_THROW(ops::parse_class_weights("1,x,2", labels, 3), UsageError);
  EXPECT_THROW(ops::parse_class_weights("1,-1,2", labels, 3), UsageError);
}

TEST(Losses, UnknownNameIsAUsageError) {
  EXPECT_THROW(ops::make_loss("hinge2"), UsageError);
}

}  // namespace
}  // namespace tandem

namespace tandem {
namespace {

// Hinge losses: hand-computed values, and gradients against central differences of the loss.
TEST(HingeAndL1, HandComputedValuesAndFiniteDifferences) {
  // Row 0: z = [3.2, 5.1, -1.7], y = 0: margins 5.1-3.2+1 = 2.9, -1.7-3.2+1 < 0 -> hinge 2.9.
  // Row 1: z = [1.3, 4.9, 2.0], y = 1: margins 1.3-4.9+1 < 0, 2.0-4.9+1 < 0 -> 0.
  // Row 2: z = [2.2, 2.5, -3.1], y = 2: 2.2+3.1+1 = 6.3, 2.5+3.1+1 = 6.6 -> 12.9.
  std::vector<float> z = {3.2f, 5.1f, -1.7f, 1.3f, 4.9f, 2.0f, 2.2f, 2.5f, -3.1f};
  std::vector<int32_t> y = {0, 1, 2};
  ops::Targets t;
  t.labels = y.data();
  const Tensor pred(z.data(), Shape{3, 3});
  EXPECT_NEAR(ops::MulticlassHinge(false).forward_backward(pred, t, 1.0f, Tensor()), 2.9 + 12.9, 1e-5);
  EXPECT_NEAR(ops::MulticlassHinge(true).forward_backward(pred, t, 1.0f, Tensor()),
              2.9 * 2.9 + 6.3 * 6.3 + 6.6 * 6.6, 1e-4);
  // L1 with one-hot targets: row 0 |3.2-1| + 5.1 + 1.7 = 9.0 -> mean 3.0.
  EXPECT_NEAR(ops::L1().forward_backward(Tensor(z.data(), Shape{1, 3}), t, 1.0f, Tensor()), 3.0, 1e-6);
  std::vector<std::unique_ptr<ops::Loss>> losses;
  losses.push_back(std::make_unique<ops::MulticlassHinge>(false));
  losses.push_back(std::make_unique<ops::MulticlassHinge>(true));
  losses.push_back(std::make_unique<ops::L1>());
  for (auto& loss : losses) {
    std::vector<float> grad(9), dir(9);
    loss->forward_backward(pred, t, 0.5f, Tensor(grad.data(), Shape{3, 3}));
    double jvp_expected = 0;
    for (int i = 0; i < 9; ++i) {
      dir[i] = 0.1f * static_cast<float>(i % 4) - 0.15f;
      jvp_expected += 2.0 * grad[i] * dir[i];  // grad carries the 0.5 scale
      const float keep = z[i];
      const float h = 1e-2f;  // no kink within h of these points
      z[i] = keep + h;
      const double up = loss->forward_backward(pred, t, 0.0f, Tensor());
      z[i] = keep - h;
      const double down = loss->forward_backward(pred, t, 0.0f, Tensor());
      z[i] = keep;
      EXPECT_NEAR(2.0 * grad[i], (up - down) / (2 * h), 2e-3) << loss->name() << " coordinate " << i;
    }
    EXPECT_NEAR(loss->jvp(pred, t, Tensor(dir.data(), Shape{3, 3})), jvp_expected, 1e-5) << loss->name();
  }
  EXPECT_EQ(ops::make_loss("hinge")->targets(), ops::Loss::Kind::kLabels);
  EXPECT_EQ(ops::make_loss("squared_hinge")->name(), "squared_hinge");
}

}  // namespace
}  // namespace tandem
