#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "../../support/gradcheck.hpp"
#include "tandem/core/error.hpp"
#include "tandem/graph/graph.hpp"
#include "tandem/ops/activations.hpp"
#include "tandem/ops/batch_norm.hpp"
#include "tandem/ops/conv.hpp"
#include "tandem/ops/dense.hpp"
#include "tandem/ops/merge.hpp"

namespace tandem {
namespace {

TEST(Graph, ClassicExampleXPlusYTimesZ) {
  // f = (x + y) z at x = -2, y = 5, z = -4: df/dx = df/dy = z = -4, df/dz = x + y = 3.
  graph::Graph g;
  const int x = g.add_input("x", Shape{1}), y = g.add_input("y", Shape{1}), z = g.add_input("z", Shape{1});
  const int q = g.add_node("q", std::make_unique<ops::Add>(), {x, y});
  const int f = g.add_node("f", std::make_unique<ops::Multiply>(), {q, z});
  g.finalize();
  g.set_input_grads(true);
  g.plan(1);
  g.value(x, 1)[0] = -2;
  g.value(y, 1)[0] = 5;
  g.value(z, 1)[0] = -4;
  graph::RunInfo run;
  g.forward(1, run);
  EXPECT_EQ(g.value(f, 1)[0], -12);
  g.value_grad(f, 1)[0] = 1;
  g.backward(1, run);
  EXPECT_EQ(g.value_grad(x, 1)[0], -4);
  EXPECT_EQ(g.value_grad(y, 1)[0], -4);
  EXPECT_EQ(g.value_grad(z, 1)[0], 3);
  // Forward mode: the tangent along e_z is df/dz.
  g.tangent(x, 1)[0] = 0;
  g.tangent(y, 1)[0] = 0;
  g.tangent(z, 1)[0] = 1;
  g.jvp(1, run, {});
  EXPECT_EQ(g.tangent(f, 1)[0], 3);
}

// Activation gradients share memory by liveness: in x -> a -> b -> c -> d (tanh each), b's
// gradient is born after d's died (d's backward ran), and a's after c's; inputs and outputs
// keep theirs. The values are those of the chain rule all the same.
TEST(Graph, ActivationGradientsShareMemoryWhenTheirLivesDoNotOverlap) {
  graph::Graph g;
  const int x = g.add_input("x", Shape{3});
  int prev = x;
  std::vector<int> t;
  for (const char* name : {"a", "b", "c", "d"})
    t.push_back(
        prev = g.add_node(name, std::make_unique<ops::Elementwise>(ops::Elementwise::Kind::kTanh), {prev}));
  g.finalize();
  g.set_input_grads(true);
  g.plan(2);
  EXPECT_EQ(g.value_grad(t[1], 2).data(), g.value_grad(t[3], 2).data());
  EXPECT_EQ(g.value_grad(t[0], 2).data(), g.value_grad(t[2], 2).data());
  EXPECT_NE(g.value_grad(t[2], 2).data(), g.value_grad(t[3], 2).data())
      << "c's gradient is written as d's is read";
  const float in[6] = {-1.5f, -0.5f, 0.0f, 0.25f, 1.0f, 2.0f};
  std::copy(in, in + 6, g.value(x, 2).data());
  graph::RunInfo run;
  g.forward(2, run);
  for (int i = 0; i < 6; ++i) g.value_grad(t[3], 2)[i] = 1;
  g.backward(2, run);
  for (int i = 0; i < 6; ++i) {
    double v = in[i], d = 1;
    for (int k = 0; k < 4; ++k) d *= 1 - std::tanh(v) * std::tanh(v), v = std::tanh(v);
    EXPECT_NEAR(g.value_grad(x, 2)[i], d, 1e-6) << i;
  }
}

graph::InitSpec he() {
  return {"he_normal", 0, 1, 1};
}

// x -> conv -> tanh -> (residual add with x) -> concat with a second conv branch -> flatten
// -> dense; the input x also feeds two consumers, so gradients accumulate.
std::unique_ptr<graph::Graph> residual_concat_graph() {
  auto g = std::make_unique<graph::Graph>();
  const int x = g->add_input("x", Shape{2, 5, 5});
  const int c1 = g->add_node("c1", std::make_unique<ops::Conv2d>(2, 3, 1, 1, true, he(), he()), {x});
  const int t1 = g->add_node("t1", std::make_unique<ops::Elementwise>(ops::Elementwise::Kind::kTanh), {c1});
  const int r = g->add_node("res", std::make_unique<ops::Add>(), {x, t1});
  const int c2 = g->add_node("c2", std::make_unique<ops::Conv2d>(3, 3, 1, 1, false, he(), he()), {x});
  const int bn = g->add_node("bn", std::make_unique<ops::BatchNorm>(nullptr, 0.1, 1e-5), {c2});
  const int cat = g->add_node("cat", std::make_unique<ops::Concat>(), {r, bn});
  const int fl = g->add_node("flat", std::make_unique<ops::Flatten>(), {cat});
  g->add_node("out", std::make_unique<ops::Dense>(4, true, he(), he()), {fl});
  g->finalize();
  return g;
}

TEST(Graph, ResidualAndConcatDagGradients) {
  auto g = residual_concat_graph();
  testing::CheckOptions opt;
  opt.batch = 3;
  opt.step = 3e-3;
  const auto r = testing::check_graph(*g, opt);
  EXPECT_GT(r.checked, 100);
  EXPECT_LE(r.worst_fd_error, 0.0) << r.worst_where;
  EXPECT_NEAR(r.jvp_dot, r.vjp_dot, 1e-4 * (1 + std::abs(r.vjp_dot)));
}

TEST(Graph, GradientArenaInBackwardOrder) {
  auto g = residual_concat_graph();
  // The last node's parameters come first: their gradients are ready first in backward.
  const auto& refs = g->param_refs();
  ASSERT_GE(refs.size(), 4u);
  EXPECT_EQ(refs.front().name, "out.weight");
  EXPECT_EQ(refs.front().offset, 0);
  EXPECT_EQ(refs.back().name, "c1.bias");
  for (size_t i = 1; i < refs.size(); ++i)
    EXPECT_EQ(refs[i].offset, refs[i - 1].offset + refs[i - 1].spec.shape.numel());
  EXPECT_EQ(g->param_count(), refs.back().offset + refs.back().spec.shape.numel());
}

TEST(Graph, SmallerBatchReusesPlannedBuffers) {
  auto g = residual_concat_graph();
  g->plan(8);
  const float* before = g->value(0, 8).data();
  g->plan(4);  // no reallocation for a smaller batch
  EXPECT_EQ(g->value(0, 4).data(), before);
  EXPECT_THROW(g->value(0, 9), Error);
}

TEST(Graph, ShapeErrorsNameTheNode) {
  graph::Graph g;
  const int x = g.add_input("x", Shape{1, 4, 4});
  try {
    g.add_node("d", std::make_unique<ops::Dense>(3, true, he(), he()), {x});
    FAIL() << "dense on an image should be refused";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("node 'd' (dense)"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("flatten"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tandem
