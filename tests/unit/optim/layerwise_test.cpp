// LARS and LAMB against double-precision transcriptions of the papers' algorithms (You et al.
// 2017, Algorithm 1; You et al. 2019, Algorithm 2) over several steps, with a group that adapts
// and decays (a weight) and one that does neither (a bias), as the trainer makes them.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "tandem/core/error.hpp"
#include "tandem/optim/optimizer.hpp"

namespace tandem {
namespace {

constexpr int kWeights = 5, kAll = 8;  // [0, 5) a weight tensor, [5, 8) a bias

std::vector<float> gradient(int t) {
  std::vector<float> g(kAll);
  for (int i = 0; i < kAll; ++i) g[i] = static_cast<float>(0.3 * std::sin(1.7 * i + t) + 0.05 * (i - 3));
  return g;
}

double norm(const std::vector<double>& x, int b, int e) {
  double s = 0;
  for (int i = b; i < e; ++i) s += x[i] * x[i];
  return std::sqrt(s);
}

std::vector<optim::ParamGroup> weight_and_bias(double wd) {
  return {{0, kWeights, wd, 0, 1.0, true}, {kWeights, kAll, 0, 0, 1.0, false}};
}

const std::vector<float> kStart{0.5f, -0.8f, 0.3f, 1.1f, -0.2f, 0.05f, -0.1f, 0.0f};

TEST(Lars, FollowsThePapersAlgorithmPerLayer) {
  optim::OptimizerConfig c;
  c.name = "lars";
  c.momentum = 0.9;
  c.trust_coefficient = 0.02;
  const double wd = 5e-3, lr = 0.5;
  auto opt = optim::make_optimizer(c);
  opt->set_groups(weight_and_bias(wd));
  std::vector<float> p = kStart;
  std::vector<double> w(kStart.begin(), kStart.end()), v(kAll, 0.0);
  for (int t = 0; t < 6; ++t) {
    const auto g = gradient(t);
    opt->step(p, g, lr);
    // The weight: lambda = eta |w| / (|g| + wd |w|); v <- m v + lr lambda (g + wd w); w <- w - v.
    std::vector<double> gd(g.begin(), g.end());
    const double lambda =
        c.trust_coefficient * norm(w, 0, kWeights) / (norm(gd, 0, kWeights) + wd * norm(w, 0, kWeights));
    for (int i = 0; i < kWeights; ++i) {
      v[i] = 0.9 * v[i] + lr * lambda * (gd[i] + wd * w[i]);
      w[i] -= v[i];
    }
    // The bias: no ratio, no decay.
    for (int i = kWeights; i < kAll; ++i) {
      v[i] = 0.9 * v[i] + lr * gd[i];
      w[i] -= v[i];
    }
    for (int i = 0; i < kAll; ++i)
      EXPECT_NEAR(p[i], w[i], 2e-6 * (1 + std::abs(w[i]))) << "step " << t << " i " << i;
  }
  ASSERT_EQ(opt->state().size(), 1u);
  EXPECT_EQ(opt->state()[0].name, "velocity");
}

TEST(Lamb, FollowsThePapersAlgorithmPerLayer) {
  optim::OptimizerConfig c;
  c.name = "lamb";
  c.beta1 = 0.9;
  c.beta2 = 0.999;
  c.eps = 1e-6;
  const double wd = 0.01, lr = 0.01;
  auto opt = optim::make_optimizer(c);
  opt->set_groups(weight_and_bias(wd));
  std::vector<float> p = kStart;
  std::vector<double> w(kStart.begin(), kStart.end()), m(kAll, 0.0), s(kAll, 0.0), u(kAll);
  for (int t = 1; t <= 6; ++t) {
    const auto g = gradient(t);
    opt->step(p, g, lr);
    for (int i = 0; i < kAll; ++i) {
      m[i] = 0.9 * m[i] + 0.1 * g[i];
      s[i] = 0.999 * s[i] + 0.001 * double{g[i]} * g[i];
      const double mh = m[i] / (1 - std::pow(0.9, t)), sh = s[i] / (1 - std::pow(0.999, t));
      u[i] = mh / (std::sqrt(sh) + 1e-6) + (i < kWeights ? wd * w[i] : 0.0);
    }
    // The weight moves by lr |w| / |u| u; the bias by lr u.
    const double ratio = norm(w, 0, kWeights) / norm(u, 0, kWeights);
    for (int i = 0; i < kAll; ++i) w[i] -= lr * (i < kWeights ? ratio : 1.0) * u[i];
    for (int i = 0; i < kAll; ++i)
      EXPECT_NEAR(p[i], w[i], 2e-6 * (1 + std::abs(w[i]))) << "step " << t << " i " << i;
  }
  EXPECT_EQ(opt->state().size(), 2u);
}

TEST(Lamb, StepLengthOfAnAdaptedLayerIsTheRateTimesItsNorm) {
  // The defining property: |delta w_l| = lr |w_l|, whatever the gradient's scale.
  for (const float scale : {1e-4f, 1.0f, 1e4f}) {
    optim::OptimizerConfig c;
    c.name = "lamb";
    auto opt = optim::make_optimizer(c);
    opt->set_groups({{0, kAll, 0, 0, 1.0, true}});
    std::vector<float> p = kStart, g = gradient(0);
    for (auto& x : g) x *= scale;
    const auto before = p;
    opt->step(p, g, 0.1);
    double step = 0, w = 0;
    for (int i = 0; i < kAll; ++i) {
      step += (p[i] - before[i]) * double{p[i] - before[i]};
      w += double{before[i]} * before[i];
    }
    EXPECT_NEAR(std::sqrt(step), 0.1 * std::sqrt(w), 1e-6) << "gradient scale " << scale;
  }
}

TEST(Lars, ZeroWeightsTakeTheUnscaledStep) {
  optim::OptimizerConfig c;
  c.name = "lars";
  c.momentum = 0;
  auto opt = optim::make_optimizer(c);
  opt->set_groups({{0, 3, 0, 0, 1.0, true}});
  std::vector<float> p{0, 0, 0}, g{1, -2, 0.5f};
  opt->step(p, g, 0.1);  // |w| = 0: a trust ratio of 0 would never move them
  EXPECT_FLOAT_EQ(p[0], -0.1f);
  EXPECT_FLOAT_EQ(p[1], 0.2f);
  optim::OptimizerConfig bad = c;
  bad.trust_coefficient = 0;
  EXPECT_THROW(optim::make_optimizer(bad), UsageError);
}

TEST(ParamGroups, AdaptIsARuleKey) {
  const auto rules = optim::parse_group_rules("*.bias:adapt=1;bn*:adapt=0");
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].adapt, 1);
  EXPECT_EQ(rules[1].adapt, 0);
  EXPECT_THROW(optim::parse_group_rules("*:adapt=2"), UsageError);
}

}  // namespace
}  // namespace tandem
