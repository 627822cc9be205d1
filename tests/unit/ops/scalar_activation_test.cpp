// The scalar activations: values against their textbook definitions (computed here in
// double), gradients against central finite differences, forward mode against reverse mode.
#include <gtest/gtest.h>

#include <cmath>

#include "../../support/gradcheck.hpp"
#include "tandem/core/error.hpp"
#include "tandem/ops/activations.hpp"

namespace tandem {
namespace {

using Kind = ops::ScalarActivation::Kind;

double reference(Kind k, double c, double x) {
  switch (k) {
    case Kind::kLeakyRelu: return x > 0 ? x : c * x;
    case Kind::kElu: return x > 0 ? x : c * (std::exp(x) - 1);
    case Kind::kGelu: return x * 0.5 * (1 + std::erf(x / std::sqrt(2.0)));
    case Kind::kSoftplus: return std::log(1 + std::exp(x));
    case Kind::kScaledTanh: return 1.7159 * std::tanh(2.0 * x / 3.0);
    case Kind::kTanhLinear: return std::tanh(x) + c * x;
  }
  return 0;
}

struct Case {
  Kind kind;
  double constant;
};

const Case kCases[] = {{Kind::kLeakyRelu, 0.1}, {Kind::kElu, 1.3},      {Kind::kGelu, 0},
                       {Kind::kSoftplus, 0},    {Kind::kScaledTanh, 0}, {Kind::kTanhLinear, 0.25}};

TEST(ScalarActivations, ValuesMatchTheirDefinitions) {
  for (const auto& c : kCases) {
    ops::ScalarActivation op(c.kind, c.constant);
    for (double x : {-6.0, -2.5, -0.7, -0.01, 0.03, 0.4, 1.9, 7.0}) {
      EXPECT_NEAR(op.value(static_cast<float>(x)), reference(c.kind, c.constant, x),
                  2e-6 * (1 + std::abs(reference(c.kind, c.constant, x))))
          << op.type() << " at " << x;
      // The derivative against a central difference of the double-precision definition.
      const double h = 1e-5;
      const double fd =
          (reference(c.kind, c.constant, x + h) - reference(c.kind, c.constant, x - h)) / (2 * h);
      EXPECT_NEAR(op.derivative(static_cast<float>(x)), fd, 1e-5 * (1 + std::abs(fd)))
          << op.type() << "' at " << x;
    }
  }
  // Landmarks: GELU(1) = Phi(1) = 0.841345; scaled tanh(1) = 1.7159 tanh(2/3) = 0.99990.
  EXPECT_NEAR(ops::ScalarActivation(Kind::kGelu, 0).value(1.0f), 0.8413447, 1e-6);
  EXPECT_NEAR(ops::ScalarActivation(Kind::kScaledTanh, 0).value(1.0f), 0.9999, 1e-4);
}

TEST(ScalarActivations, GraphGradientsAndForwardMode) {
  for (const auto& c : kCases) {
    auto g =
        testing::single_op_graph(std::make_unique<ops::ScalarActivation>(c.kind, c.constant), {Shape{2, 5}});
    testing::CheckOptions opt;
    opt.inputs = testing::InputKind::kAwayFromZero;  // leaky ReLU and ELU have a kink at 0
    const auto r = testing::check_graph(*g, opt);
    EXPECT_GT(r.checked, 0);
    EXPECT_LE(r.worst_fd_error, 0.0) << ops::ScalarActivation(c.kind, c.constant).type() << ": "
                                     << r.worst_where;
    EXPECT_NEAR(r.jvp_dot, r.vjp_dot, 1e-4 * (1 + std::abs(r.vjp_dot)));
  }
}

TEST(ScalarActivations, RejectBadConstants) {
  EXPECT_THROW(ops::ScalarActivation(Kind::kElu, -1.0), UsageError);
  EXPECT_THROW(ops::ScalarActivation(Kind::kLeakyRelu, NAN), UsageError);
}

}  // namespace
}  // namespace tandem

namespace tandem {
namespace {

TEST(PRelu, ValuesGradientsAndForwardModePerChannelAndShared) {
  for (bool per_channel : {true, false}) {
    auto g = testing::single_op_graph(std::make_unique<ops::PRelu>(per_channel, 0.3), {Shape{3, 2, 2}});
    testing::CheckOptions opt;
    opt.inputs = testing::InputKind::kAwayFromZero;
    const auto r = testing::check_graph(*g, opt);
    EXPECT_GT(r.checked, 0);
    EXPECT_LE(r.worst_fd_error, 0.0) << r.worst_where;
    EXPECT_NEAR(r.jvp_dot, r.vjp_dot, 1e-4 * (1 + std::abs(r.vjp_dot)));
    EXPECT_EQ(g->param_count(), per_channel ? 3 : 1);
  }
  // Values: slope 0.3 on the negative side.
  ops::PRelu op(false, 0.3);
  op.infer({Shape{2}});
  float x[2] = {-2.0f, 1.5f}, y[2], slope = 0.3f;
  graph::OpArgs a;
  a.batch = 1;
  a.in = {Tensor(x, Shape{1, 2})};
  a.out = Tensor(y, Shape{1, 2});
  a.params = {Tensor(&slope, Shape{1})};
  op.forward(a);
  EXPECT_FLOAT_EQ(y[0], -0.6f);
  EXPECT_FLOAT_EQ(y[1], 1.5f);
}

}  // namespace
}  // namespace tandem

namespace tandem {
namespace {

TEST(Maxout, GroupsGradientsAndForwardMode) {
  for (const Shape& s : {Shape{6}, Shape{4, 2, 3}}) {
    auto g = testing::single_op_graph(std::make_unique<ops::Maxout>(2), {s});
    const auto r = testing::check_graph(*g, testing::CheckOptions{});
    EXPECT_GT(r.checked, 0);
    EXPECT_LE(r.worst_fd_error, 0.0) << r.worst_where;
    EXPECT_NEAR(r.jvp_dot, r.vjp_dot, 1e-4 * (1 + std::abs(r.vjp_dot)));
  }
  ops::Maxout op(3);
  EXPECT_EQ(op.infer({Shape{6, 2}}), (Shape{2, 2}));
  EXPECT_THROW(op.infer({Shape{5}}), UsageError);
  // Features [1, 7, 3 | -1, -4, -2] with 3 pieces -> [7, -1].
  float x[6] = {1, 7, 3, -1, -4, -2}, y[2];
  graph::OpArgs a;
  a.batch = 1;
  a.in = {Tensor(x, Shape{1, 6})};
  a.out = Tensor(y, Shape{1, 2});
  op.infer({Shape{6}});
  op.forward(a);
  EXPECT_EQ(y[0], 7.0f);
  EXPECT_EQ(y[1], -1.0f);
}

}  // namespace
}  // namespace tandem
