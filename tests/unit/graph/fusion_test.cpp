// Folding ReLUs into the ops that produce their inputs (graph::Epilogue): which nodes fold,
// and that a folded graph computes what the unfolded one does (outputs, gradients, tangents),
// checked against central differences too.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "../../support/gradcheck.hpp"
#include "../../support/random_floats.hpp"
#include "tandem/graph/graph.hpp"
#include "tandem/ops/activations.hpp"
#include "tandem/ops/batch_norm.hpp"
#include "tandem/ops/conv.hpp"
#include "tandem/ops/dense.hpp"
#include "tandem/ops/merge.hpp"

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

// Folded and unfolded graphs with the same parameters and inputs, in training mode.
TEST(Fusion, FoldedGraphComputesWhatTheUnfoldedOneDoes) {
  Nodes n;
  auto fused = network(true, n), plain = network(false, n);
  const int64_t batch = 5;
  for (auto* g : {fused.get(), plain.get()}) {
    g->set_input_grads(true);
    g->plan(batch);
  }
  const auto params = testing::uniform_floats(fused->params().size(), 7, 1, -0.5f, 0.5f);
  const auto x = testing::uniform_floats(static_cast<size_t>(batch * 72), 7, 2, -1.0f, 1.0f);
  const auto u = testing::uniform_floats(static_cast<size_t>(batch * 3), 7, 3, -1.0f, 1.0f);
  const auto dx = testing::uniform_floats(x.size(), 7, 4, -1.0f, 1.0f);
  const auto dp = testing::uniform_floats(params.size(), 7, 5, -1.0f, 1.0f);
  graph::RunInfo run;
  for (auto* g : {fused.get(), plain.get()}) {
    std::copy(params.begin(), params.end(), g->params().begin());
    std::copy(x.begin(), x.end(), g->value(0, batch).data());
    g->forward(batch, run);
    std::copy(u.begin(), u.end(), g->value_grad(n.out, batch).data());
    g->zero_grads();
    g->backward(batch, run);
    std::copy(dx.begin(), dx.end(), g->tangent(0, batch).data());
    g->jvp(batch, run, dp);
  }
  auto expect_same = [](const float* a, const float* b, size_t count, const char* what) {
    double worst = 0, scale = 1e-30;
    for (size_t i = 0; i < count; ++i) {
      worst = std::max(worst, std::abs(double{a[i]} - b[i]));
      scale = std::max(scale, std::abs(double{b[i]}));
    }
    EXPECT_LE(worst / scale, 1e-6) << what;
  };
  expect_same(fused->value(n.out, batch).data(), plain->value(n.out, batch).data(), u.size(), "outputs");
  expect_same(fused->value(n.r1, batch).data(), plain->value(n.r1, batch).data(), 4 * 36 * batch, "r1");
  expect_same(fused->grads().data(), plain->grads().data(), params.size(), "parameter gradients");
  expect_same(fused->value_grad(0, batch).data(), plain->value_grad(0, batch).data(), x.size(),
              "input gradients");
  expect_same(fused->tangent(n.out, batch).data(), plain->tangent(n.out, batch).data(), u.size(), "tangents");
  expect_same(fused->state().data(), plain->state().data(), fused->state().size(), "running statistics");
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
