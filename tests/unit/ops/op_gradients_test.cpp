// Every op: central finite differences against backprop, and <u, J v> (forward mode)
// against <J^T u, v> (reverse mode).
#include <gtest/gtest.h>

#include <cmath>

#include "../../support/gradcheck.hpp"
#include "tandem/ops/activations.hpp"
#include "tandem/ops/batch_norm.hpp"
#include "tandem/ops/conv.hpp"
#include "tandem/ops/dense.hpp"
#include "tandem/ops/dropout.hpp"
#include "tandem/ops/merge.hpp"
#include "tandem/ops/pool.hpp"
#include "tandem/ops/rbf.hpp"

namespace tandem {
namespace {

using testing::CheckOptions;
using testing::InputKind;

graph::InitSpec init() {
  return {"he_normal", 0, 1, 1};
}

void expect_consistent(graph::Graph& g, CheckOptions opt = {}) {
  const auto r = testing::check_graph(g, opt);
  EXPECT_GT(r.checked, 0);
  EXPECT_LE(r.worst_fd_error, 0.0) << "worst coordinate: " << r.worst_where;
  EXPECT_NEAR(r.jvp_dot, r.vjp_dot, 1e-4 * (1 + std::abs(r.vjp_dot)));
}

TEST(OpGradients, Dense) {
  auto g = testing::single_op_graph(std::make_unique<ops::Dense>(5, true, init(), init()), {Shape{7}});
  expect_consistent(*g);
}

TEST(OpGradients, DenseWithoutBias) {
  auto g = testing::single_op_graph(std::make_unique<ops::Dense>(4, false, init(), init()), {Shape{6}});
  expect_consistent(*g);
}

TEST(OpGradients, Rbf) {
  // Widths near 1 and inputs of unit scale keep the Gaussians away from 0 and 1.
  auto g = testing::single_op_graph(std::make_unique<ops::Rbf>(4, graph::InitSpec{"normal", 0.5, 1, 1}, 1.5),
                                    {Shape{3}});
  expect_consistent(*g);
}

TEST(OpGradients, Conv2dValid) {
  auto g = testing::single_op_graph(std::make_unique<ops::Conv2d>(3, 3, 1, 0, true, init(), init()),
                                    {Shape{2, 6, 5}});
  expect_consistent(*g);
}

TEST(OpGradients, Conv2dStridePadding) {
  auto g = testing::single_op_graph(std::make_unique<ops::Conv2d>(4, 3, 2, 1, true, init(), init()),
                                    {Shape{3, 7, 6}});
  expect_consistent(*g);
}

TEST(OpGradients, MaxPool) {
  auto g = testing::single_op_graph(std::make_unique<ops::Pool2d>(ops::Pool2d::Kind::kMax, 2, 2),
                                    {Shape{2, 5, 4}});
  CheckOptions opt;
  opt.inputs = InputKind::kDistinct;
  opt.step = 1e-3;
  expect_consistent(*g, opt);
}

TEST(OpGradients, MaxPoolOverlapping) {
  auto g = testing::single_op_graph(std::make_unique<ops::Pool2d>(ops::Pool2d::Kind::kMax, 3, 1),
                                    {Shape{1, 5, 5}});
  CheckOptions opt;
  opt.inputs = InputKind::kDistinct;
  opt.step = 1e-3;
  expect_consistent(*g, opt);
}

TEST(OpGradients, AveragePool) {
  auto g = testing::single_op_graph(std::make_unique<ops::Pool2d>(ops::Pool2d::Kind::kAverage, 2, 2),
                                    {Shape{2, 4, 6}});
  expect_consistent(*g);
}

TEST(OpGradients, Flatten) {
  auto g = testing::single_op_graph(std::make_unique<ops::Flatten>(), {Shape{2, 3, 2}});
  expect_consistent(*g);
}

TEST(OpGradients, Relu) {
  auto g = testing::single_op_graph(std::make_unique<ops::Elementwise>(ops::Elementwise::Kind::kRelu),
                                    {Shape{11}});
  CheckOptions opt;
  opt.inputs = InputKind::kAwayFromZero;
  expect_consistent(*g, opt);
}

TEST(OpGradients, Sigmoid) {
  auto g = testing::single_op_graph(std::make_unique<ops::Elementwise>(ops::Elementwise::Kind::kSigmoid),
                                    {Shape{9}});
  expect_consistent(*g);
}

TEST(OpGradients, Tanh) {
  auto g = testing::single_op_graph(std::make_unique<ops::Elementwise>(ops::Elementwise::Kind::kTanh),
                                    {Shape{2, 3, 3}});
  expect_consistent(*g);
}

TEST(OpGradients, Softmax) {
  auto g = testing::single_op_graph(std::make_unique<ops::Softmax>(), {Shape{6}});
  expect_consistent(*g);
}

TEST(OpGradients, SoftmaxOverEveryAxis) {
  for (int64_t axis : {0, 1, 2, -2}) {
    SCOPED_TRACE(axis);
    auto g = testing::single_op_graph(std::make_unique<ops::Softmax>(axis), {Shape{3, 2, 4}});
    expect_consistent(*g);
  }
}

TEST(OpGradients, AddThreeInputs) {
  auto g = testing::single_op_graph(std::make_unique<ops::Add>(), {Shape{4}, Shape{4}, Shape{4}});
  expect_consistent(*g);
}

TEST(OpGradients, Multiply) {
  auto g = testing::single_op_graph(std::make_unique<ops::Multiply>(), {Shape{2, 3}, Shape{2, 3}});
  expect_consistent(*g);
}

TEST(OpGradients, ConcatChannels) {
  auto g = testing::single_op_graph(std::make_unique<ops::Concat>(), {Shape{2, 3, 3}, Shape{1, 3, 3}});
  expect_consistent(*g);
}

TEST(OpGradients, DropoutTraining) {
  auto g = testing::single_op_graph(std::make_unique<ops::Dropout>(0.4), {Shape{20}});
  expect_consistent(*g);
}

TEST(OpGradients, DropoutEvaluation) {
  auto g = testing::single_op_graph(std::make_unique<ops::Dropout>(0.4), {Shape{20}});
  CheckOptions opt;
  opt.training = false;
  expect_consistent(*g, opt);
}

TEST(OpGradients, BatchNormFeaturesTraining) {
  auto g = testing::single_op_graph(std::make_unique<ops::BatchNorm>(nullptr, 0.1, 1e-5), {Shape{5}});
  CheckOptions opt;
  opt.batch = 6;
  opt.step = 3e-3;
  expect_consistent(*g, opt);
}

TEST(OpGradients, BatchNormChannelsTraining) {
  auto g = testing::single_op_graph(std::make_unique<ops::BatchNorm>(nullptr, 0.1, 1e-5), {Shape{3, 4, 3}});
  CheckOptions opt;
  opt.batch = 4;
  opt.step = 3e-3;
  expect_consistent(*g, opt);
}

TEST(OpGradients, BatchNormEvaluation) {
  auto g = testing::single_op_graph(std::make_unique<ops::BatchNorm>(nullptr, 0.1, 1e-5), {Shape{3, 2, 2}});
  CheckOptions opt;
  opt.training = false;
  expect_consistent(*g, opt);
}

}  // namespace
}  // namespace tandem
