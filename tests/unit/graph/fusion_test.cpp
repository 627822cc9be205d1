// Folding ReLUs into the ops that produce their inputs (graph::Epilogue) and keeping
// activations in the blocked layout (graph::Layout): which nodes fold and which buffers are
// blocked, and that such a graph computes what the plain one does (outputs, gradients,
// tangents, running statistics), checked against central differences too.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "../../support/gradcheck.hpp"
#include "../../support/random_floats.hpp"
#include "tandem/graph/graph.hpp"
#include "tandem/ops/activations.hpp"
#include "tandem/ops/batch_norm.hpp"
#include "tandem/ops/conv.hpp"
#include "tandem/ops/dense.hpp"
#include "tandem/ops/merge.hpp"
#include "tandem/ops/pool.hpp"

namespace tandem {
namespace {

graph::InitSpec he() {
  return {"he_normal", 0, 1, 1};
}
std::unique_ptr<graph::Op> relu() {
  return std::make_unique<ops::Elementwise>(ops::Elementwise::Kind::kRelu);
}

struct Nodes {
  int r1 = 0, r2 = 0, r3 = 0, out = 0;
};

// x -> c1 -> r1 (folds into c1); r1 -> c2 -> bn -> r2 (folds into bn); r1 + r2 -> c3, read by
// both r3 and the final add (c3 has two readers: r3 does not fold) -> flatten -> dense.
std::unique_ptr<graph::Graph> network(bool fuse, Nodes& n) {
  auto g = std::make_unique<graph::Graph>();
  const int x = g->add_input("x", Shape{2, 6, 6});
  const int c1 = g->add_node("c1", std::make_unique<ops::Conv2d>(4, 3, 1, 1, true, he(), he()), {x});
  n.r1 = g->add_node("r1", relu(), {c1});
  const int c2 = g->add_node("c2", std::make_unique<ops::Conv2d>(4, 3, 1, 1, false, he(), he()), {n.r1});
  const int bn = g->add_node("bn", std::make_unique<ops::BatchNorm>(nullptr, 0.1, 1e-5), {c2});
  n.r2 = g->add_node("r2", relu(), {bn});
  const int sum = g->add_node("sum", std::make_unique<ops::Add>(), {n.r1, n.r2});
  const int c3 = g->add_node("c3", std::make_unique<ops::Conv2d>(4, 3, 1, 1, true, he(), he()), {sum});
  n.r3 = g->add_node("r3", relu(), {c3});
  const int both = g->add_node("both", std::make_unique<ops::Add>(), {n.r3, c3});
  const int flat = g->add_node("flat", std::make_unique<ops::Flatten>(), {both});
  n.out = g->add_node("out", std::make_unique<ops::Dense>(3, true, he(), he()), {flat});
  g->set_fusion(fuse);
  g->finalize();
  return g;
}

TEST(Fusion, ReluFoldsIntoItsOnlyProducer) {
  Nodes n;
  auto g = network(true, n);
  EXPECT_TRUE(g->folded(n.r1)) << "conv -> relu";
  EXPECT_TRUE(g->folded(n.r2)) << "batchnorm -> relu";
  EXPECT_FALSE(g->folded(n.r3)) << "the conv's output has another reader";
  auto off = network(false, n);
  EXPECT_FALSE(off->folded(n.r1));
  // A graph output keeps its own values: nothing folds into it.
  graph::Graph h;
  const int x = h.add_input("x", Shape{1, 4, 4});
  const int c = h.add_node("c", std::make_unique<ops::Conv2d>(2, 3, 1, 1, true, he(), he()), {x});
  const int r = h.add_node("r", relu(), {c});
  h.set_outputs({c, r});
  h.finalize();
  EXPECT_FALSE(h.folded(r));
}

// Two graphs of the same network (one folded or blocked, one plain) with the same parameters
// and inputs, in training mode (or evaluation): forward, backward and jvp must agree.
void expect_same_passes(graph::Graph& a, graph::Graph& b, int64_t batch, int out, double tol,
                        bool training = true) {
  for (auto* g : {&a, &b}) {
    g->set_input_grads(true);
    g->plan(batch);
  }
  std::vector<int> inputs;
  for (int id = 0; id < a.node_count(); ++id)
    if (a.node(id).is_input()) inputs.push_back(id);
  auto size = [&](int id) { return static_cast<size_t>(batch * a.node(id).shape.numel()); };
  const auto params = testing::uniform_floats(a.params().size(), 7, 1, -0.5f, 0.5f);
  const auto u = testing::uniform_floats(size(out), 7, 3, -1.0f, 1.0f);
  const auto dp = testing::uniform_floats(params.size(), 7, 5, -1.0f, 1.0f);
  graph::RunInfo run;
  run.training = training;
  for (auto* g : {&a, &b}) {
    std::copy(params.begin(), params.end(), g->params().begin());
    for (int i : inputs) {
      const auto x = testing::uniform_floats(size(i), 7, 10 + i, -1.0f, 1.0f);
      std::copy(x.begin(), x.end(), g->value(i, batch).data());
    }
    g->forward(batch, run);
    std::copy(u.begin(), u.end(), g->value_grad(out, batch).data());
    g->zero_grads();
    g->backward(batch, run);
    for (int i : inputs) {
      const auto dx = testing::uniform_floats(size(i), 7, 100 + i, -1.0f, 1.0f);
      std::copy(dx.begin(), dx.end(), g->tangent(i, batch).data());
    }
    g->jvp(batch, run, dp);
  }
  auto expect_same = [tol](const float* p, const float* q, size_t count, const std::string& what) {
    double worst = 0, scale = 1e-30;
    for (size_t i = 0; i < count; ++i) {
      worst = std::max(worst, std::abs(double{p[i]} - q[i]));
      scale = std::max(scale, std::abs(double{q[i]}));
    }
    EXPECT_LE(worst / scale, tol) << what;
  };
  expect_same(a.value(out, batch).data(), b.value(out, batch).data(), size(out), "outputs");
  expect_same(a.grads().data(), b.grads().data(), params.size(), "parameter gradients");
  for (int i : inputs)
    expect_same(a.value_grad(i, batch).data(), b.value_grad(i, batch).data(), size(i),
                "gradient of input " + a.node(i).name);
  expect_same(a.tangent(out, batch).data(), b.tangent(out, batch).data(), size(out), "tangents");
  expect_same(a.state().data(), b.state().data(), a.state().size(), "running statistics");
}

TEST(Fusion, FoldedGraphComputesWhatTheUnfoldedOneDoes) {
  Nodes n;
  auto fused = network(true, n), plain = network(false, n);
  expect_same_passes(*fused, *plain, 5, n.out, 1e-6);
}

struct Chain {
  int c1 = 0, r1 = 0, p1 = 0, c2 = 0, r2 = 0, p2 = 0, t = 0, out = 0;
};

// x[1, 12, 12] -> conv 16 -> relu -> maxpool -> conv 32 -> relu -> avgpool -> tanh -> flatten
// -> dense: blocked from the first convolution's output to the tanh (flatten takes plain
// only, so the tanh, and the pooling before it, turn plain again).
std::unique_ptr<graph::Graph> chain(bool blocked, Chain& n, Precision precision = Precision::kFp32) {
  auto g = std::make_unique<graph::Graph>();
  const int x = g->add_input("x", Shape{1, 12, 12});
  n.c1 = g->add_node("c1", std::make_unique<ops::Conv2d>(16, 3, 1, 1, true, he(), he(), precision), {x});
  n.r1 = g->add_node("r1", relu(), {n.c1});
  n.p1 = g->add_node("p1", std::make_unique<ops::Pool2d>(ops::Pool2d::Kind::kMax, 2, 2), {n.r1});
  n.c2 = g->add_node("c2", std::make_unique<ops::Conv2d>(32, 3, 1, 1, false, he(), he(), precision), {n.p1});
  n.r2 = g->add_node("r2", relu(), {n.c2});
  n.p2 = g->add_node("p2", std::make_unique<ops::Pool2d>(ops::Pool2d::Kind::kAverage, 2, 2), {n.r2});
  n.t = g->add_node("t", std::make_unique<ops::Elementwise>(ops::Elementwise::Kind::kTanh), {n.p2});
  const int flat = g->add_node("flat", std::make_unique<ops::Flatten>(), {n.t});
  n.out = g->add_node("out", std::make_unique<ops::Dense>(3, true, he(), he()), {flat});
  g->set_blocked_layouts(blocked);
  g->finalize();
  return g;
}

TEST(Layouts, ChainsOfConvPoolAndActivationsStayBlocked) {
  Chain n;
  auto g = chain(true, n);
  using L = graph::Layout;
  EXPECT_EQ(g->layout(n.r1), L::kBlocked16)
      << "the first convolution writes its folded ReLU's buffer blocked";
  EXPECT_EQ(g->layout(n.p1), L::kBlocked16);
  EXPECT_EQ(g->layout(n.r2), L::kBlocked16);
  EXPECT_EQ(g->layout(n.p2), L::kPlain) << "its reader (tanh) must give flatten plain values";
  EXPECT_EQ(g->layout(n.t), L::kPlain);
  EXPECT_EQ(g->layout(0), L::kPlain);
  auto plain = chain(false, n);
  EXPECT_EQ(plain->layout(n.r1), L::kPlain);
}

TEST(Layouts, BlockedGraphComputesWhatThePlainOneDoes) {
  Chain n;
  auto blocked = chain(true, n), plain = chain(false, n);
  // The same kernels on the same blocked data: the same bits here (see the bf16 case below).
  expect_same_passes(*blocked, *plain, 4, n.out, 1e-6);
}

// oneDNN computes in its blocked layout either way; the plain graph only adds the reorders
// around it (in bf16: the conversion moves into a reorder, its rounding stays). Measured here:
// the same bits. Allowed: what another CPU's kernels (other blocks, another order of a pooling
// window's sum) could change, an ulp in fp32, and in bf16 a value moved across a rounding
// boundary by it (2^-8 relative).
TEST(Layouts, Bf16BlockedGraphComputesWhatThePlainOneDoes) {
  Chain n;
  auto blocked = chain(true, n, Precision::kBf16), plain = chain(false, n, Precision::kBf16);
  ASSERT_EQ(blocked->layout(n.p1), graph::Layout::kBlocked16);
  expect_same_passes(*blocked, *plain, 4, n.out, 1e-2);
}

struct NormChain {
  int bn1 = 0, a1 = 0, bn2 = 0, out = 0;
};

// x[1, 8, 8] -> conv 16 -> batchnorm -> act -> conv 32 -> batchnorm -> act -> avgpool ->
// flatten -> dense: blocked from the first convolution's output to the pooling's input.
std::unique_ptr<graph::Graph> norm_chain(bool blocked, ops::Elementwise::Kind act, NormChain& n) {
  auto g = std::make_unique<graph::Graph>();
  const int x = g->add_input("x", Shape{1, 8, 8});
  const int c1 = g->add_node("c1", std::make_unique<ops::Conv2d>(16, 3, 1, 1, false, he(), he()), {x});
  n.bn1 = g->add_node("bn1", std::make_unique<ops::BatchNorm>(nullptr, 0.1, 1e-5), {c1});
  n.a1 = g->add_node("a1", std::make_unique<ops::Elementwise>(act), {n.bn1});
  const int c2 = g->add_node("c2", std::make_unique<ops::Conv2d>(32, 3, 1, 1, false, he(), he()), {n.a1});
  n.bn2 = g->add_node("bn2", std::make_unique<ops::BatchNorm>(nullptr, 0.1, 1e-5), {c2});
  const int a2 = g->add_node("a2", std::make_unique<ops::Elementwise>(act), {n.bn2});
  const int pool =
      g->add_node("pool", std::make_unique<ops::Pool2d>(ops::Pool2d::Kind::kAverage, 2, 2), {a2});
  const int flat = g->add_node("flat", std::make_unique<ops::Flatten>(), {pool});
  n.out = g->add_node("out", std::make_unique<ops::Dense>(3, true, he(), he()), {flat});
  g->set_blocked_layouts(blocked);
  g->finalize();
  return g;
}

// Batch norm in the blocked layout: its per-channel sums run over 16 channels at a time, in
// another order than over each plain channel, so training agrees to rounding, not bitwise;
// evaluation has no sums but those of the parameter gradients.
TEST(Layouts, BatchNormKeepsChainsBlocked) {
  NormChain n;
  const auto relu = ops::Elementwise::Kind::kRelu;
  auto blocked = norm_chain(true, relu, n), plain = norm_chain(false, relu, n);
  EXPECT_EQ(blocked->layout(n.bn2), graph::Layout::kBlocked16);
  EXPECT_TRUE(blocked->folded(n.a1));
  EXPECT_EQ(blocked->layout(n.a1), graph::Layout::kBlocked16) << "batch norm writes its folded ReLU's buffer";
  expect_same_passes(*blocked, *plain, 4, n.out, 1e-5);
  expect_same_passes(*blocked, *plain, 3, n.out, 1e-6, false);
}

// Smooth activations: with ReLUs after normalized values many sit near a kink, and central
// differences across one are off by more than any useful tolerance, in either layout.
TEST(Layouts, BlockedBatchNormGradientsMatchFiniteDifferences) {
  NormChain n;
  auto g = norm_chain(true, ops::Elementwise::Kind::kTanh, n);
  ASSERT_EQ(g->layout(n.bn1), graph::Layout::kBlocked16);
  for (bool training : {true, false}) {
    testing::CheckOptions opt;
    opt.batch = 3;
    opt.training = training;
    const auto r = testing::check_graph(*g, opt);
    EXPECT_GT(r.checked, 100);
    EXPECT_LE(r.worst_fd_error, 0.0) << r.worst_where << (training ? " (training)" : " (evaluation)");
    EXPECT_NEAR(r.jvp_dot, r.vjp_dot, 1e-4 * (1 + std::abs(r.vjp_dot)));
  }
}

struct Residual {
  int r1 = 0, bn = 0, sum = 0, c3 = 0, mixed = 0, out = 0;
};

// A residual block, x[1, 8, 8] -> conv 16 -> relu = r1; r1 -> conv 16 -> batchnorm; sum = r1 +
// that -> relu -> avgpool; and an add of mixed origin read by a convolution: the (plain) graph
// input x16[16, 4, 4] plus conv 16 of it, which must leave that convolution plain too. Both
// feed the dense head.
std::unique_ptr<graph::Graph> residual(bool blocked, Residual& n) {
  auto g = std::make_unique<graph::Graph>();
  const int x = g->add_input("x", Shape{1, 8, 8});
  const int c1 = g->add_node("c1", std::make_unique<ops::Conv2d>(16, 3, 1, 1, true, he(), he()), {x});
  n.r1 = g->add_node("r1", relu(), {c1});
  const int c2 = g->add_node("c2", std::make_unique<ops::Conv2d>(16, 3, 1, 1, false, he(), he()), {n.r1});
  n.bn = g->add_node("bn", std::make_unique<ops::BatchNorm>(nullptr, 0.1, 1e-5), {c2});
  n.sum = g->add_node("sum", std::make_unique<ops::Add>(), {n.r1, n.bn});
  const int r2 = g->add_node("r2", relu(), {n.sum});
  const int pool =
      g->add_node("pool", std::make_unique<ops::Pool2d>(ops::Pool2d::Kind::kAverage, 2, 2), {r2});
  const int x16 = g->add_input("x16", Shape{16, 4, 4});
  n.c3 = g->add_node("c3", std::make_unique<ops::Conv2d>(16, 3, 1, 1, true, he(), he()), {x16});
  n.mixed = g->add_node("mixed", std::make_unique<ops::Add>(), {x16, n.c3});
  const int c4 = g->add_node("c4", std::make_unique<ops::Conv2d>(16, 3, 1, 1, true, he(), he()), {n.mixed});
  const int both = g->add_node("both", std::make_unique<ops::Add>(), {pool, c4});
  const int flat = g->add_node("flat", std::make_unique<ops::Flatten>(), {both});
  n.out = g->add_node("out", std::make_unique<ops::Dense>(3, true, he(), he()), {flat});
  g->set_blocked_layouts(blocked);
  g->finalize();
  return g;
}

TEST(Layouts, AddTakesBlockedInputsWhenAllAreBlocked) {
  Residual n;
  auto blocked = residual(true, n), plain = residual(false, n);
  using L = graph::Layout;
  EXPECT_EQ(blocked->layout(n.r1), L::kBlocked16) << "read by a convolution and the add";
  EXPECT_EQ(blocked->layout(n.bn), L::kBlocked16);
  EXPECT_EQ(blocked->layout(n.sum), L::kBlocked16);
  EXPECT_EQ(blocked->layout(n.c3), L::kPlain) << "added to a graph input, which stays plain";
  EXPECT_EQ(blocked->layout(n.mixed), L::kPlain);
  expect_same_passes(*blocked, *plain, 3, n.out, 1e-5);
}

TEST(Layouts, BlockedGraphGradientsMatchFiniteDifferences) {
  Chain n;
  auto g = chain(true, n);
  testing::CheckOptions opt;
  opt.batch = 2;
  opt.step = 1e-3;  // small: the ReLUs' kinks and the max pooling's near-ties stay out of reach
  opt.inputs = testing::InputKind::kDistinct;
  const auto r = testing::check_graph(*g, opt);
  EXPECT_GT(r.checked, 100);
  EXPECT_LE(r.worst_fd_error, 0.0) << r.worst_where;
  EXPECT_NEAR(r.jvp_dot, r.vjp_dot, 1e-4 * (1 + std::abs(r.vjp_dot)));
}

TEST(Fusion, FoldedGraphGradientsMatchFiniteDifferences) {
  Nodes n;
  auto g = network(true, n);
  testing::CheckOptions opt;
  opt.batch = 3;
  opt.step = 3e-3;
  opt.inputs = testing::InputKind::kAwayFromZero;
  const auto r = testing::check_graph(*g, opt);
  EXPECT_GT(r.checked, 100);
  EXPECT_LE(r.worst_fd_error, 0.0) << r.worst_where;
  EXPECT_NEAR(r.jvp_dot, r.vjp_dot, 1e-4 * (1 + std::abs(r.vjp_dot)));
}

}  // namespace
}  // namespace tandem
