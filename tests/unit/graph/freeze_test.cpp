// Graph::set_frozen: frozen nodes get no parameter gradient, backward runs only where something
// trainable lies upstream, and the gradients of the other parameters are those of the full
// backward (which op_gradients_test and fusion_test check against central differences).
// Frozen batch norm normalizes with its running statistics and keeps them.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "../../support/random_floats.hpp"
#include "tandem/graph/graph.hpp"
#include "tandem/ops/activations.hpp"
#include "tandem/ops/batch_norm.hpp"
#include "tandem/ops/conv.hpp"
#include "tandem/ops/dense.hpp"
#include "tandem/ops/rbf.hpp"

namespace tandem {
namespace {

graph::InitSpec he() {
  return {"he_normal", 0, 1, 1};
}

// The identity, counting its backward calls: shows whether backward reached it.
class Spy final : public graph::Op {
 public:
  explicit Spy(int* calls) : calls_(calls) {}
  std::string type() const override { return "spy"; }
  Shape infer(const std::vector<Shape>& in) override { return in[0]; }
  void forward(graph::OpArgs& a) override { std::copy_n(a.in[0].data(), a.in[0].numel(), a.out.data()); }
  void backward(graph::OpArgs& a) override {
    ++*calls_;
    if (!a.in_grad[0].empty()) std::copy_n(a.out_grad.data(), a.out_grad.numel(), a.in_grad[0].data());
  }
  void jvp(graph::OpArgs& a) override {
    std::copy_n(a.in_tangent[0].data(), a.in_tangent[0].numel(), a.out_tangent.data());
  }

 private:
  int* calls_;
};

struct Net {
  graph::Graph g;
  int c1 = 0, spy = 0, c2 = 0, bn = 0, d1 = 0, d2 = 0;
  int spy_calls = 0;
};

// x [2, 6, 6] -> c1 -> relu -> spy -> c2 -> bn -> relu -> flatten -> d1 -> relu -> d2 [3],
// parameters, running statistics and input from fixed random streams.
std::unique_ptr<Net> network(Precision precision = Precision::kFp32) {
  auto n = std::make_unique<Net>();
  auto& g = n->g;
  const int x = g.add_input("x", Shape{2, 6, 6});
  n->c1 = g.add_node("c1", std::make_unique<ops::Conv2d>(4, 3, 1, 1, true, he(), he(), precision), {x});
  const int r1 = g.add_node("r1", std::make_unique<ops::Elementwise>(ops::Elementwise::Kind::kRelu), {n->c1});
  n->spy = g.add_node("spy", std::make_unique<Spy>(&n->spy_calls), {r1});
  n->c2 = g.add_node("c2", std::make_unique<ops::Conv2d>(4, 3, 1, 1, false, he(), he(), precision), {n->spy});
  n->bn = g.add_node("bn", std::make_unique<ops::BatchNorm>(nullptr, 0.1, 1e-5), {n->c2});
  const int r2 = g.add_node("r2", std::make_unique<ops::Elementwise>(ops::Elementwise::Kind::kRelu), {n->bn});
  const int flat = g.add_node("flat", std::make_unique<ops::Flatten>(), {r2});
  n->d1 = g.add_node("d1", std::make_unique<ops::Dense>(5, true, he(), he(), precision), {flat});
  const int r3 = g.add_node("r3", std::make_unique<ops::Elementwise>(ops::Elementwise::Kind::kTanh), {n->d1});
  n->d2 = g.add_node("d2", std::make_unique<ops::Dense>(3, true, he(), he(), precision), {r3});
  g.finalize();
  g.plan(4);
  const auto p = testing::uniform_floats(g.params().size(), 7, 1);
  std::copy(p.begin(), p.end(), g.params().begin());
  const auto s = testing::uniform_floats(g.state().size(), 7, 2, 0.5f, 1.5f);
  std::copy(s.begin(), s.end(), g.state().begin());
  const auto in = testing::uniform_floats(static_cast<size_t>(4 * 72), 7, 3);
  std::copy(in.begin(), in.end(), g.value(x, 4).data());
  return n;
}

// One training-mode forward and backward of <u, output> from zeroed gradients; returns them.
std::vector<float> gradients(Net& n, bool training = true) {
  graph::RunInfo run;
  run.training = training;
  n.g.zero_grads();
  n.g.forward(4, run);
  const auto u = testing::uniform_floats(12, 7, 4);
  std::copy(u.begin(), u.end(), n.g.value_grad(n.d2, 4).data());
  n.g.backward(4, run);
  return {n.g.grads().begin(), n.g.grads().end()};
}

// Every parameter of a frozen node has a zero gradient; every other one equals `full`.
void expect_pruned_gradients(Net& n, const std::vector<float>& full, const std::vector<float>& got) {
  for (const auto& ref : n.g.param_refs())
    for (int64_t i = ref.offset; i < ref.offset + ref.spec.shape.numel(); ++i) {
      if (n.g.frozen(ref.node))
        ASSERT_EQ(got[i], 0.0f) << ref.name << " is frozen";
      else
        ASSERT_EQ(got[i], full[i]) << ref.name << "[" << i - ref.offset << "]";
    }
}

TEST(Freeze, FrozenFirstLayersStopBackwardAndLeaveTheOtherGradientsExact) {
  auto n = network();
  const auto full = gradients(*n);
  EXPECT_EQ(n->spy_calls, 1) << "unfrozen: backward reaches c1 through the spy";
  n->g.set_frozen({n->c1, n->c2});
  EXPECT_FALSE(n->g.node(n->c1).requires_grad);
  EXPECT_FALSE(n->g.node(n->spy).requires_grad);
  EXPECT_FALSE(n->g.node(n->c2).requires_grad);
  EXPECT_TRUE(n->g.node(n->bn).requires_grad);
  const auto pruned = gradients(*n);
  EXPECT_EQ(n->spy_calls, 1) << "frozen c1 and c2: nothing below bn runs backward";
  expect_pruned_gradients(*n, full, pruned);
  // Freezing c1 alone: c2 needs its weight gradient but no input gradient, so the spy still
  // does not run.
  n->g.set_frozen({n->c1});
  const auto one = gradients(*n);
  EXPECT_EQ(n->spy_calls, 1);
  expect_pruned_gradients(*n, full, one);
  // Unfrozen again: the full gradients.
  n->g.set_frozen({});
  EXPECT_EQ(gradients(*n), full);
  EXPECT_EQ(n->spy_calls, 2);
}

// In fp32 (OpenBLAS dense layers) and bf16 (oneDNN matmuls and bf16 convolutions).
class FrozenMiddle : public ::testing::TestWithParam<Precision> {};

TEST_P(FrozenMiddle, LayersPassGradientsDownButComputeNoneForThemselves) {
  auto n = network(GetParam());
  const auto full = gradients(*n);
  int calls = n->spy_calls;
  // A frozen convolution (oneDNN: input gradient without the weight one), dense layer (BLAS)
  // and batch norm (its sums without dgamma, dbeta) with trainable c1 below.
  for (const std::vector<int>& frozen : {std::vector<int>{n->d1}, {n->c2}, {n->c2, n->d1}, {n->c2, n->bn}}) {
    n->g.set_frozen(frozen);
    EXPECT_TRUE(n->g.node(frozen.back()).requires_grad) << "c1 below is trainable";
    const auto got = gradients(*n, !n->g.frozen(n->bn));
    if (n->g.frozen(n->bn)) {  // the reference in evaluation mode, as frozen batch norm runs
      n->g.set_frozen({});
      const auto eval = gradients(*n, false);
      n->g.set_frozen(frozen);
      expect_pruned_gradients(*n, eval, got);
      calls += 1;
    } else {
      expect_pruned_gradients(*n, full, got);
    }
    EXPECT_EQ(n->spy_calls, ++calls) << "backward reaches c1";
  }
}

TEST(Freeze, FrozenBatchNormUsesAndKeepsItsRunningStatistics) {
  auto n = network();
  const std::vector<float> running(n->g.state().begin(), n->g.state().end());
  // The reference: the whole graph in evaluation mode (batch norm on its running statistics),
  // c1 and bn frozen or not alike (convolutions and dense layers do not depend on the mode).
  const auto eval = gradients(*n, false);
  const std::vector<float> eval_out(n->g.value(n->d2, 4).data(), n->g.value(n->d2, 4).data() + 12);
  n->g.set_frozen({n->bn});
  const auto frozen = gradients(*n, true);
  const std::vector<float> frozen_out(n->g.value(n->d2, 4).data(), n->g.value(n->d2, 4).data() + 12);
  EXPECT_EQ(frozen_out, eval_out) << "a frozen batch norm normalizes as in evaluation";
  EXPECT_EQ(std::vector<float>(n->g.state().begin(), n->g.state().end()), running)
      << "and leaves its running statistics alone";
  expect_pruned_gradients(*n, eval, frozen);
  // Unfrozen in training mode, batch norm moves its running statistics.
  n->g.set_frozen({});
  gradients(*n, true);
  EXPECT_NE(std::vector<float>(n->g.state().begin(), n->g.state().end()), running);
}

INSTANTIATE_TEST_SUITE_P(Freeze, FrozenMiddle, ::testing::Values(Precision::kFp32, Precision::kBf16));

// The other ops with parameters, frozen between trainable ones: PReLU and RBF pass their input
// gradients on and compute none for their slopes, centres and widths.
TEST(Freeze, FrozenPreluAndRbfPassGradientsOnly) {
  graph::Graph g;
  const int x = g.add_input("x", Shape{4});
  const int d1 = g.add_node("d1", std::make_unique<ops::Dense>(6, true, he(), he()), {x});
  const int pr = g.add_node("pr", std::make_unique<ops::PRelu>(true, 0.25), {d1});
  const int rbf =
      g.add_node("rbf", std::make_unique<ops::Rbf>(5, graph::InitSpec{"normal", 0, 1, 1}, 1.0), {pr});
  const int d2 = g.add_node("d2", std::make_unique<ops::Dense>(3, true, he(), he()), {rbf});
  g.finalize();
  g.plan(4);
  const auto p = testing::uniform_floats(g.params().size(), 9, 1, 0.2f, 1.0f);  // positive RBF widths
  std::copy(p.begin(), p.end(), g.params().begin());
  const auto in = testing::uniform_floats(16, 9, 2);
  std::copy(in.begin(), in.end(), g.value(x, 4).data());
  auto grads = [&] {
    graph::RunInfo run;
    g.zero_grads();
    g.forward(4, run);
    const auto u = testing::uniform_floats(12, 9, 3);
    std::copy(u.begin(), u.end(), g.value_grad(d2, 4).data());
    g.backward(4, run);
    return std::vector<float>(g.grads().begin(), g.grads().end());
  };
  const auto full = grads();
  g.set_frozen({pr, rbf});
  const auto got = grads();
  int nonzero_d1 = 0;
  for (const auto& ref : g.param_refs())
    for (int64_t i = ref.offset; i < ref.offset + ref.spec.shape.numel(); ++i) {
      ASSERT_EQ(got[i], g.frozen(ref.node) ? 0.0f : full[i]) << ref.name;
      nonzero_d1 += ref.node == d1 && got[i] != 0.0f;
    }
  EXPECT_GT(nonzero_d1, 0) << "d1 below the frozen nodes still gets its gradient";
}

}  // namespace
}  // namespace tandem
