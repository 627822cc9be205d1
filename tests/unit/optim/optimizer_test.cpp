// Each optimizer's update against its closed form over several steps.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "tandem/core/error.hpp"
#include "tandem/optim/optimizer.hpp"
#include "tandem/optim/schedule.hpp"

namespace tandem {
namespace {

optim::OptimizerConfig config(const std::string& name) {
  optim::OptimizerConfig c;
  c.name = name;
  return c;
}

// With a constant gradient g, the closed forms after t steps (lr, mu as configured).
TEST(Optimizers, ConstantGradientClosedForms) {
  const double lr = 0.1, mu = 0.9, p0 = 1.5, g = 0.3;
  for (const std::string name : {"sgd", "momentum", "nesterov", "adam"}) {
    auto opt = optim::make_optimizer(config(name));
    std::vector<float> p{static_cast<float>(p0)}, grad{static_cast<float>(g)};
    double sum_v = 0, sum_nesterov = 0;
    for (int t = 1; t <= 6; ++t) {
      opt->step(p, grad, lr);
      const double v_t = g * (1 - std::pow(mu, t)) / (1 - mu);  // v_t = mu v_{t-1} + g
      sum_v += v_t;
      sum_nesterov += g + mu * v_t;
      double want = 0;
      if (name == "sgd") want = p0 - lr * g * t;
      if (name == "momentum") want = p0 - lr * sum_v;
      if (name == "nesterov") want = p0 - lr * sum_nesterov;
      if (name == "adam") want = p0 - t * lr * g / (std::abs(g) + 1e-8);  // bias-corrected m/sqrt(v) = sign
      // float32 state: Adam's bias corrections (1 - 0.999^t) cost a few ulps more.
      EXPECT_NEAR(p[0], want, name == "adam" ? 1e-5 : 2e-6) << name << " step " << t;
    }
    EXPECT_EQ(opt->steps(), 6);
  }
}

// A varying gradient sequence against a double-precision transcription of the formulas.
TEST(Optimizers, VaryingGradientsMatchReference) {
  const double lr = 0.05, b1 = 0.9, b2 = 0.999, eps = 1e-8;
  auto adam = optim::make_optimizer(config("adam"));
  std::vector<float> p{0.2f, -0.7f};
  double rp[2] = {0.2, -0.7}, m[2] = {0, 0}, v[2] = {0, 0};
  for (int t = 1; t <= 5; ++t) {
    std::vector<float> g{static_cast<float>(std::sin(t)), static_cast<float>(0.1 * t)};
    adam->step(p, g, lr);
    for (int i = 0; i < 2; ++i) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      rp[i] -= lr * (m[i] / (1 - std::pow(b1, t))) / (std::sqrt(v[i] / (1 - std::pow(b2, t))) + eps);
      EXPECT_NEAR(p[i], rp[i], 1e-5) << "step " << t;
    }
  }
}

TEST(Optimizers, WeightDecayOnlyOnItsGroup) {
  // p_{t+1} = p_t - lr (g + wd p_t) on the decayed range; plain SGD elsewhere.
  auto c = config("sgd");
  c.weight_decay = 0.5;
  auto opt = optim::make_optimizer(c);
  opt->set_groups({{0, 1, c.weight_decay, 0, 1}});
  std::vector<float> p{2.0f, 2.0f}, g{0.1f, 0.1f};
  const double lr = 0.1, a = 1 - lr * c.weight_decay;
  for (int t = 1; t <= 4; ++t) {
    opt->step(p, g, lr);
    const double decayed = std::pow(a, t) * 2.0 - lr * 0.1 * (1 - std::pow(a, t)) / (1 - a);
    EXPECT_NEAR(p[0], decayed, 1e-6);
    EXPECT_NEAR(p[1], 2.0 - lr * 0.1 * t, 1e-6);
  }
}

TEST(Optimizers, UnknownNameIsAUsageError) {
  EXPECT_THROW(optim::make_optimizer(config("adamax")), UsageError);
}

TEST(Schedules, StepDecay) {
  optim::ScheduleConfig c;
  c.name = "step";
  c.step_epochs = 3;
  c.gamma = 0.5;
  auto s = optim::make_schedule(c);
  EXPECT_DOUBLE_EQ(s->lr(0.2, 0, 0), 0.2);
  EXPECT_DOUBLE_EQ(s->lr(0.2, 2, 99), 0.2);
  EXPECT_DOUBLE_EQ(s->lr(0.2, 3, 0), 0.1);
  EXPECT_DOUBLE_EQ(s->lr(0.2, 7, 0), 0.05);
  c.name = "constant";
  EXPECT_DOUBLE_EQ(optim::make_schedule(c)->lr(0.2, 100, 5), 0.2);
}

}  // namespace
}  // namespace tandem

namespace tandem {
namespace {

// Adagrad, RMSprop and AdamW against a double-precision transcription of their definitions
// on a varying gradient, with weight decay on the first two of three parameters.
TEST(Optimizers, AdagradRmspropAdamwFollowTheirDefinitions) {
  for (const std::string name : {"adagrad", "rmsprop", "adamw"}) {
    optim::OptimizerConfig c;
    c.name = name;
    c.weight_decay = name == "adamw" ? 0.1 : 0.0;
    c.eps = 1e-6;
    auto opt = optim::make_optimizer(c);
    opt->set_groups({{0, 2, c.weight_decay, 0, 1}});
    std::vector<float> p{0.5f, -1.0f, 2.0f};
    std::vector<double> ref(p.begin(), p.end()), s(3, 0.0), m(3, 0.0), v(3, 0.0);
    const double lr = 0.05;
    for (int t = 1; t <= 7; ++t) {
      std::vector<float> g{0.3f * t, -0.2f + 0.05f * t, 0.1f / t};
      opt->step(p, g, lr);
      for (int i = 0; i < 3; ++i) {
        if (name == "adagrad") {
          s[i] += double{g[i]} * g[i];
          ref[i] -= lr * g[i] / (std::sqrt(s[i]) + 1e-6);
        } else if (name == "rmsprop") {
          s[i] = 0.99 * s[i] + 0.01 * double{g[i]} * g[i];
          ref[i] -= lr * g[i] / (std::sqrt(s[i]) + 1e-6);
        } else {
          if (i < 2) ref[i] *= 1 - lr * 0.1;  // decoupled decay, weights only
          m[i] = 0.9 * m[i] + 0.1 * g[i];
          v[i] = 0.999 * v[i] + 0.001 * double{g[i]} * g[i];
          const double mh = m[i] / (1 - std::pow(0.9, t)), vh = v[i] / (1 - std::pow(0.999, t));
          ref[i] -= lr * mh / (std::sqrt(vh) + 1e-6);
        }
        EXPECT_NEAR(p[i], ref[i], 2e-5 * (1 + std::abs(ref[i]))) << name << " step " << t << " param " << i;
      }
    }
    EXPECT_EQ(opt->state().size(), name == "adamw" ? 2u : 1u);
  }
  optim::OptimizerConfig bad;
  bad.name = "rmsprop";
  bad.rho = 1.0;
  EXPECT_THROW(optim::make_optimizer(bad), UsageError);
}

}  // namespace
}  // namespace tandem

namespace tandem {
namespace {

// Every schedule at hand-computed points (eta0 = 0.2, final fraction 0.01 -> 0.002).
TEST(Schedules, FormulasAtKnownPoints) {
  optim::ScheduleConfig c;
  c.total_steps = 100;
  auto at = [&](const std::string& name, int64_t epoch, int64_t step) {
    c.name = name;
    return optim::make_schedule(c)->lr(0.2, epoch, step);
  };
  c.gamma = 0.5;
  EXPECT_DOUBLE_EQ(at("exponential", 3, 0), 0.2 * 0.125);
  c.decay = 0.5;
  EXPECT_DOUBLE_EQ(at("inverse_time", 4, 0), 0.2 / 3.0);
  // tau = total steps = 100: halfway, the end, and beyond.
  EXPECT_NEAR(at("linear", 0, 50), 0.5 * 0.2 + 0.5 * 0.002, 1e-15);
  EXPECT_NEAR(at("linear", 0, 100), 0.002, 1e-15);
  EXPECT_NEAR(at("linear", 0, 150), 0.002, 1e-15);
  EXPECT_NEAR(at("cosine", 0, 0), 0.2, 1e-15);
  EXPECT_NEAR(at("cosine", 0, 50), 0.002 + 0.198 * 0.5, 1e-15);
  EXPECT_NEAR(at("cosine", 0, 100), 0.002, 1e-15);
  c.power = 2;
  EXPECT_NEAR(at("polynomial", 0, 50), 0.002 + 0.198 * 0.25, 1e-15);
  c.tau = 10;  // an explicit tau
  EXPECT_NEAR(at("linear", 0, 5), 0.101, 1e-15);
}

// Goyal et al.: the rate scales with the batch, and the warmup climbs from the unscaled rate.
TEST(Schedules, LinearAndSquareRootScalingWithGradualWarmup) {
  using optim::LrScaling;
  EXPECT_DOUBLE_EQ(optim::scaled_lr(0.1, 8192, LrScaling::kLinear, 256), 3.2);
  EXPECT_DOUBLE_EQ(optim::scaled_lr(0.1, 1024, LrScaling::kSqrt, 256), 0.2);
  EXPECT_DOUBLE_EQ(optim::scaled_lr(0.1, 64, LrScaling::kLinear, 256), 0.025);
  EXPECT_DOUBLE_EQ(optim::scaled_lr(0.1, 8192, LrScaling::kNone, 256), 0.1);
  optim::ScheduleConfig c;
  c.total_steps = 100;
  c.warmup_steps = 20;
  c.warmup_start = 0.25;  // from 0.1 to the 4x scaled 0.4
  auto s = optim::make_schedule(c);
  EXPECT_NEAR(s->lr(0.4, 0, 0), 0.4 * (0.25 + 0.75 * 1 / 20.0), 1e-15);
  EXPECT_NEAR(s->lr(0.4, 0, 9), 0.4 * (0.25 + 0.75 * 10 / 20.0), 1e-15);
  EXPECT_NEAR(s->lr(0.4, 0, 19), 0.4, 1e-15);
  EXPECT_NEAR(s->lr(0.4, 1, 20), 0.4, 1e-15);
  for (int64_t step = 1; step < 20; ++step)  // linear: equal increments
    EXPECT_NEAR(s->lr(0.4, 0, step) - s->lr(0.4, 0, step - 1), 0.4 * 0.75 / 20, 1e-15);
}

TEST(Schedules, WarmupIsALinearPrefix) {
  optim::ScheduleConfig c;
  c.name = "cosine";
  c.total_steps = 110;
  c.warmup_steps = 10;
  auto s = optim::make_schedule(c);
  EXPECT_NEAR(s->lr(0.2, 0, 0), 0.02, 1e-15);
  EXPECT_NEAR(s->lr(0.2, 0, 4), 0.1, 1e-15);
  EXPECT_NEAR(s->lr(0.2, 0, 9), 0.2, 1e-15);
  EXPECT_NEAR(s->lr(0.2, 0, 10), 0.2, 1e-15);                  // the cosine starts here
  EXPECT_NEAR(s->lr(0.2, 0, 60), 0.002 + 0.198 * 0.5, 1e-15);  // halfway through its 100 steps
  c.name = "warm";
  EXPECT_THROW(optim::make_schedule(c), UsageError);
  c.name = "linear";
  c.final_fraction = 2;
  EXPECT_THROW(optim::make_schedule(c), UsageError);
}

}  // namespace
}  // namespace tandem

namespace tandem {
namespace {

TEST(Regularization, L1AddsTheSignOnWeightsOnly) {
  optim::OptimizerConfig c;
  c.name = "sgd";
  c.l1 = 0.5;
  auto opt = optim::make_optimizer(c);
  opt->set_groups({{0, 3, 0, c.l1, 1}});
  std::vector<float> p{0.2f, -0.3f, 0.0f, 0.7f}, g{0.1f, 0.1f, 0.1f, 0.1f};
  opt->step(p, g, 0.1);
  // p - lr (g + l1 sign(p)); sign(0) = 0; the last entry is a bias.
  EXPECT_NEAR(p[0], 0.2 - 0.1 * (0.1 + 0.5), 1e-7);
  EXPECT_NEAR(p[1], -0.3 - 0.1 * (0.1 - 0.5), 1e-7);
  EXPECT_NEAR(p[2], 0.0 - 0.1 * 0.1, 1e-7);
  EXPECT_NEAR(p[3], 0.7 - 0.1 * 0.1, 1e-7);
}

TEST(Regularization, MaxNormProjectsLongRowsOnly) {
  // Two weights: [2 x 2] rows (3, 4) -> norm 5 and (0.3, 0.4) -> 0.5; then a bias; then [1 x 3].
  std::vector<float> p{3, 4, 0.3f, 0.4f, 9, 2, 2, 1};
  optim::apply_max_norm(p, {{0, 2, 2}, {5, 1, 3}}, 1.0);
  EXPECT_NEAR(p[0], 0.6, 1e-6);
  EXPECT_NEAR(p[1], 0.8, 1e-6);
  EXPECT_FLOAT_EQ(p[2], 0.3f);  // within the ball: untouched
  EXPECT_FLOAT_EQ(p[4], 9.0f);  // the bias is not constrained
  EXPECT_NEAR(p[5], 2.0 / 3.0, 1e-6);
  EXPECT_NEAR(p[7], 1.0 / 3.0, 1e-6);
}

}  // namespace
}  // namespace tandem

namespace tandem {
namespace {

TEST(ParamGroups, EachGroupHasItsOwnDecayL1AndRate) {
  optim::OptimizerConfig c;
  c.name = "sgd";
  auto opt = optim::make_optimizer(c);
  // [0,2): wd 0.5, lr x2; [2,3): a gap at the base rate; [3,5): l1 0.1; [5,6): lr x0.
  opt->set_groups({{0, 2, 0.5, 0, 2.0}, {3, 5, 0, 0.1, 1.0}, {5, 6, 0, 0, 0.0}});
  std::vector<float> p{1, -2, 3, -4, 0.5f, 7}, g{0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f};
  const auto before = p;
  opt->step(p, g, 0.1);
  EXPECT_FLOAT_EQ(p[0], before[0] - 0.2f * (0.1f + 0.5f * 1));
  EXPECT_FLOAT_EQ(p[1], before[1] - 0.2f * (0.2f + 0.5f * -2));
  EXPECT_FLOAT_EQ(p[2], before[2] - 0.1f * 0.3f);
  EXPECT_FLOAT_EQ(p[3], before[3] - 0.1f * (0.4f - 0.1f));
  EXPECT_FLOAT_EQ(p[4], before[4] - 0.1f * (0.5f + 0.1f));
  EXPECT_FLOAT_EQ(p[5], before[5]);
}

TEST(ParamGroups, AdamwDecaysEachGroupAtItsOwnRate) {
  optim::OptimizerConfig c;
  c.name = "adamw";
  auto opt = optim::make_optimizer(c);
  opt->set_groups({{0, 1, 0.1, 0, 1.0}, {1, 2, 0.0, 0, 1.0}});
  std::vector<float> p{2, 2}, g{0, 0};  // zero gradient: only the decoupled decay moves p
  opt->step(p, g, 0.5);
  EXPECT_FLOAT_EQ(p[0], 2 * (1 - 0.5f * 0.1f));
  EXPECT_FLOAT_EQ(p[1], 2);
}

TEST(ParamGroups, RulesParseAndGlobsMatch) {
  const auto rules = optim::parse_group_rules("*.bias:weight_decay=0,lr_scale=2;batchnorm_?.gamma:l1=1e-3");
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].pattern, "*.bias");
  EXPECT_EQ(rules[0].weight_decay, 0);
  EXPECT_EQ(rules[0].lr_scale, 2);
  EXPECT_EQ(rules[0].l1, -1);  // not set
  EXPECT_DOUBLE_EQ(rules[1].l1, 1e-3);
  EXPECT_TRUE(optim::glob_match("*.bias", "dense_1.bias"));
  EXPECT_FALSE(optim::glob_match("*.bias", "dense_1.weight"));
  EXPECT_TRUE(optim::glob_match("batchnorm_?.gamma", "batchnorm_2.gamma"));
  EXPECT_FALSE(optim::glob_match("batchnorm_?.gamma", "batchnorm_12.gamma"));
  EXPECT_TRUE(optim::glob_match("*", "x"));
  EXPECT_TRUE(optim::glob_match("d*_*.w*", "dense_3.weight"));
  EXPECT_THROW(optim::parse_group_rules("*.bias"), UsageError);
  EXPECT_THROW(optim::parse_group_rules("*.bias:momentum=0"), UsageError);
  EXPECT_THROW(optim::parse_group_rules("*.bias:lr_scale=-1"), UsageError);
}

}  // namespace
}  // namespace tandem
