// The hierarchical softmax op: its C probabilities sum to 1 and equal the product of σ along
// each class's path (computed here in double from the weights); all-classes mode against
// finite differences and JVP/VJP; the per-sample path mode (training, labels given) against
// the all-classes mode: same log p(y), same gradients, same tangents.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "../../support/gradcheck.hpp"
#include "tandem/core/rng.hpp"
#include "tandem/ops/hierarchical_softmax.hpp"
#include "tandem/ops/losses.hpp"

namespace tandem {
namespace {

constexpr int64_t kFeatures = 5, kBatch = 4;

std::unique_ptr<graph::Graph> hsoftmax_graph(ops::ClassTree tree) {
  auto op = std::make_unique<ops::HierarchicalSoftmax>(std::move(tree), graph::InitSpec{"zeros", 0, 1, 1});
  auto g = testing::single_op_graph(std::move(op), {Shape{kFeatures}});
  g->set_input_grads(true);
  g->plan(kBatch);
  return g;
}

void fill_normal(std::span<float> v, Philox& rng, double sd) {
  for (auto& x : v) x = static_cast<float>(sd * rng.normal());
}

void randomize(graph::Graph& g, uint64_t seed) {
  Philox rng(seed, RngPurpose::kInit, 7);
  fill_normal(g.params(), rng, 0.7);
  Tensor x = g.value(g.inputs()[0], kBatch);
  fill_normal({x.data(), static_cast<size_t>(x.numel())}, rng, 1.0);
}

std::vector<ops::ClassTree> trees() {
  std::vector<ops::ClassTree> t;
  t.push_back(ops::ClassTree::balanced(7));
  t.push_back(ops::ClassTree::huffman({30, 1, 4, 4, 9, 0, 2}));
  t.push_back(ops::ClassTree::balanced(2));
  return t;
}

TEST(HierarchicalSoftmax, ProbabilitiesAreThePathProductsAndSumToOne) {
  for (auto& tree : trees()) {
    const ops::ClassTree copy = tree;
    auto g = hsoftmax_graph(std::move(tree));
    randomize(*g, 3);
    graph::RunInfo run;
    run.training = false;
    g->forward(kBatch, run);
    const int out = g->outputs()[0];
    const Tensor logp = g->value(out, kBatch), x = g->value(g->inputs()[0], kBatch);
    const float *w = g->param(0).data(), *b = g->param(1).data();
    for (int64_t r = 0; r < kBatch; ++r) {
      double sum = 0;
      for (int64_t c = 0; c < copy.classes(); ++c) {
        double p = 1;
        for (size_t j = 0; j < copy.path_nodes(c).size(); ++j) {
          const int64_t n = copy.path_nodes(c)[j];
          double z = b[n];
          for (int64_t i = 0; i < kFeatures; ++i)
            z += static_cast<double>(w[n * kFeatures + i]) * x[r * kFeatures + i];
          p *= 1.0 / (1.0 + std::exp(-copy.path_signs(c)[j] * z));
        }
        EXPECT_NEAR(std::exp(logp[r * copy.classes() + c]), p, 1e-5);
        sum += std::exp(static_cast<double>(logp[r * copy.classes() + c]));
      }
      EXPECT_NEAR(sum, 1.0, 1e-5);
    }
  }
}

TEST(HierarchicalSoftmax, AllClassesGradientsMatchFiniteDifferencesAndJvp) {
  for (auto& tree : trees()) {
    auto op = std::make_unique<ops::HierarchicalSoftmax>(std::move(tree), graph::InitSpec{"zeros", 0, 1, 1});
    auto g = testing::single_op_graph(std::move(op), {Shape{kFeatures}});
    const auto r = testing::check_graph(*g, {});
    EXPECT_GT(r.checked, 0);
    EXPECT_LE(r.worst_fd_error, 0.0) << "worst coordinate: " << r.worst_where;
    EXPECT_NEAR(r.jvp_dot, r.vjp_dot, 1e-4 * (1 + std::abs(r.vjp_dot)));
  }
}

// One pass of each mode at the same weights and inputs, seeded with out_grad = u_r e_{y_r}
// and random tangents.
struct Pass {
  std::vector<float> own_log_p, param_grads, input_grads, own_tangent;
};

Pass run_pass(graph::Graph& g, const std::vector<int32_t>& labels, bool paths, int64_t classes) {
  const int in = g.inputs()[0], out = g.outputs()[0];
  std::vector<const int32_t*> by_node(static_cast<size_t>(g.node_count()), nullptr);
  by_node[out] = labels.data();
  graph::RunInfo run;
  run.training = true;
  run.labels = paths ? by_node.data() : nullptr;
  g.forward(kBatch, run);
  Pass p;
  Tensor o = g.value(out, kBatch);
  for (int64_t r = 0; r < kBatch; ++r) p.own_log_p.push_back(o[r * classes + labels[r]]);
  Tensor og = g.value_grad(out, kBatch);
  if (!paths) std::fill(og.data(), og.data() + og.numel(), 0.0f);
  for (int64_t r = 0; r < kBatch; ++r) og[r * classes + labels[r]] = 0.5f + static_cast<float>(r);
  g.zero_grads();
  g.backward(kBatch, run);
  p.param_grads.assign(g.grads().begin(), g.grads().end());
  Tensor ig = g.value_grad(in, kBatch);
  p.input_grads.assign(ig.data(), ig.data() + ig.numel());
  Philox rng(11, RngPurpose::kInit, 5);
  Tensor t = g.tangent(in, kBatch);
  fill_normal({t.data(), static_cast<size_t>(t.numel())}, rng, 1.0);
  std::vector<float> param_t(g.params().size());
  fill_normal(param_t, rng, 1.0);
  g.jvp(kBatch, run, param_t);
  Tensor ot = g.tangent(out, kBatch);
  for (int64_t r = 0; r < kBatch; ++r) p.own_tangent.push_back(ot[r * classes + labels[r]]);
  return p;
}

void expect_close(const std::vector<float>& a, const std::vector<float>& b, const char* what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_NEAR(a[i], b[i], 1e-4 * (1 + std::abs(b[i]))) << what << " " << i;
}

TEST(HierarchicalSoftmax, PathModeMatchesAllClasses) {
  for (auto& tree : trees()) {
    const int64_t classes = tree.classes();
    auto g = hsoftmax_graph(std::move(tree));
    randomize(*g, 5);
    std::vector<int32_t> labels;
    for (int64_t r = 0; r < kBatch; ++r) labels.push_back(static_cast<int32_t>((3 * r + 1) % classes));
    const Pass all = run_pass(*g, labels, false, classes);
    const Pass path = run_pass(*g, labels, true, classes);
    expect_close(path.own_log_p, all.own_log_p, "log p(y)");
    expect_close(path.param_grads, all.param_grads, "parameter gradients");
    expect_close(path.input_grads, all.input_grads, "input gradients");
    expect_close(path.own_tangent, all.own_tangent, "tangents");
  }
}

TEST(HierarchicalSoftmaxLoss, IsTheNegativeLogLikelihoodAndWritesOnlyWhatIsAsked) {
  ops::HierarchicalSoftmaxLoss loss;
  std::vector<float> logp{-0.5f, -1.2f, -2.0f, -0.1f, -3.0f, -2.5f};
  std::vector<float> grad(6, 9.0f);
  const int32_t labels[2] = {1, 0};
  ops::Targets t;
  t.labels = labels;
  t.own_class_only = true;
  const Tensor pred(logp.data(), Shape{2, 3});
  EXPECT_NEAR(loss.forward_backward(pred, t, 0.25f, Tensor(grad.data(), Shape{2, 3})), 1.2 + 0.1, 1e-6);
  EXPECT_EQ(grad, (std::vector<float>{9, -0.25f, 9, -0.25f, 9, 9}));  // the rest untouched
  t.own_class_only = false;
  loss.forward_backward(pred, t, 0.25f, Tensor(grad.data(), Shape{2, 3}));
  EXPECT_EQ(grad, (std::vector<float>{0, -0.25f, 0, -0.25f, 0, 0}));
  std::vector<float> dp{1, 2, 3, 4, 5, 6};
  EXPECT_NEAR(loss.jvp(pred, t, Tensor(dp.data(), Shape{2, 3})), -(2 + 4), 1e-6);
  EXPECT_EQ(loss.probabilities(), ops::Probabilities::kSoftmax);
}

}  // namespace
}  // namespace tandem
