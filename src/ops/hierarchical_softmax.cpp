// The hierarchical softmax op: set-up, the per-sample path mode (training) and the factory.
// The all-classes mode is in hierarchical_softmax_all.cpp.
#include "tandem/ops/hierarchical_softmax.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "sigmoid_math.hpp"
#include "tandem/core/error.hpp"
#include "tandem/core/strings.hpp"
#include "tandem/tensor/blas.hpp"
#include "tandem/tensor/kernels.hpp"

namespace tandem::ops {

HierarchicalSoftmax::HierarchicalSoftmax(ClassTree tree, graph::InitSpec weight_init)
    : tree_(std::move(tree)), weight_init_(std::move(weight_init)) {}

Shape HierarchicalSoftmax::infer(const std::vector<Shape>& in) {
  TANDEM_USAGE_CHECK(in[0].rank() == 1,
                     "hierarchical_softmax takes a feature vector per sample but its input is ", in[0].str(),
                     "; put the loss on a 'dense' node or insert a 'flatten' node before it");
  features_ = in[0][0];
  return Shape{tree_.classes()};
}

std::vector<graph::ParamSpec> HierarchicalSoftmax::params() const {
  auto w = weight_init_;
  w.fan_in = features_;
  w.fan_out = 1;  // each node is its own binary classifier
  graph::InitSpec zeros{"zeros", 0.0, features_, 1};
  return {{"weight", Shape{tree_.internal_nodes(), features_}, w, true},
          {"bias", Shape{tree_.internal_nodes()}, zeros, false}};
}

// Row n of the weight is internal node n's decision: the tree, not C, says which. Named by a
// hash of its shape (FNV-1a over the child lists), so two trees over C classes tell apart.
std::string HierarchicalSoftmax::param_layout() const {
  uint64_t h = 1469598103934665603ull;
  for (int64_t n = 0; n < tree_.internal_nodes(); ++n)
    for (int side = 0; side < 2; ++side) {
      h ^= static_cast<uint32_t>(tree_.child(n, side));
      h *= 1099511628211ull;
    }
  char text[64];
  std::snprintf(text, sizeof text, "class tree %016llx", static_cast<unsigned long long>(h));
  return text;
}

// The path mode keeps its node logits [batch, max depth] from forward to backward and jvp.
int64_t HierarchicalSoftmax::workspace_floats(int64_t batch) const {
  return batch * tree_.max_depth();
}

// The all-classes mode: node logits and their gradients or tangents [batch, C − 1] each, and
// one row of per-node values.
int64_t HierarchicalSoftmax::scratch_floats(int64_t batch) const {
  return (2 * batch + 1) * tree_.internal_nodes();
}

const int32_t* HierarchicalSoftmax::path_labels(const graph::OpArgs& a) const {
  // Labels are given in training steps only; a frozen head (run as in evaluation) gets them too,
  // since the loss above it still reads and seeds its own class alone.
  if (!a.run || !a.run->labels) return nullptr;
  return a.run->labels[a.node_id];
}

void HierarchicalSoftmax::forward(graph::OpArgs& a) {
  if (const int32_t* y = path_labels(a))
    forward_paths(a, y);
  else
    forward_all(a);
}

void HierarchicalSoftmax::backward(graph::OpArgs& a) {
  if (const int32_t* y = path_labels(a))
    backward_paths(a, y);
  else
    backward_all(a);
}

void HierarchicalSoftmax::jvp(graph::OpArgs& a) {
  if (const int32_t* y = path_labels(a))
    jvp_paths(a, y);
  else
    jvp_all(a);
}

// out[r, y_r] = Σ_j log σ(s_j z_j), z_j = w_{n_j}·x_r + b_{n_j} over y_r's path.
void HierarchicalSoftmax::forward_paths(graph::OpArgs& a, const int32_t* labels) {
  const int64_t classes = tree_.classes(), d = features_, depth = tree_.max_depth();
  const float *x = a.in[0].data(), *w = a.params[0].data(), *b = a.params[1].data();
  float* z = a.workspace.data();
  for (int64_t r = 0; r < a.batch; ++r) {
    const int32_t y = labels[r];
    TANDEM_ASSERT(y >= 0 && y < classes, "hierarchical_softmax: label ", y, " outside 0..", classes - 1);
    const auto nodes = tree_.path_nodes(y);
    const auto signs = tree_.path_signs(y);
    double log_p = 0;
    for (size_t j = 0; j < nodes.size(); ++j) {
      const int64_t n = nodes[j];
      const float zj = b[n] + blas::dot(d, w + n * d, x + r * d);
      z[r * depth + static_cast<int64_t>(j)] = zj;
      log_p += log_sigmoid(signs[j] * zj);
    }
    a.out.data()[r * classes + y] = static_cast<float>(log_p);
  }
}

// With g = out_grad[r, y_r]: dz_j = g s_j σ(−s_j z_j); dW[n_j] += dz_j x, db[n_j] += dz_j,
// dx += dz_j w_{n_j}. Only the path's rows of the weight are read or written.
void HierarchicalSoftmax::backward_paths(graph::OpArgs& a, const int32_t* labels) {
  const int64_t classes = tree_.classes(), d = features_, depth = tree_.max_depth();
  const float *x = a.in[0].data(), *w = a.params[0].data(), *z = a.workspace.data();
  float* dw = graph::grad_or_null(a.param_grad[0]);  // null: frozen
  float* db = graph::grad_or_null(a.param_grad[1]);
  float* dx = a.in_grad[0].empty() ? nullptr : a.in_grad[0].data();
  if (dx && !a.accumulate[0]) kernels::fill(dx, a.batch * d, 0.0f);
  for (int64_t r = 0; r < a.batch; ++r) {
    const int32_t y = labels[r];
    const float g = a.out_grad.data()[r * classes + y];
    const auto nodes = tree_.path_nodes(y);
    const auto signs = tree_.path_signs(y);
    for (size_t j = 0; j < nodes.size(); ++j) {
      const int64_t n = nodes[j];
      const float s = signs[j];
      const float dz = g * s * sigmoid(-s * z[r * depth + static_cast<int64_t>(j)]);
      if (dw) blas::axpy(d, dz, x + r * d, dw + n * d);
      if (db) db[n] += dz;
      if (dx) blas::axpy(d, dz, w + n * d, dx + r * d);
    }
  }
}

// out_tangent[r, y_r] = Σ_j s_j σ(−s_j z_j) (dW[n_j]·x + w_{n_j}·dx + db[n_j]).
void HierarchicalSoftmax::jvp_paths(graph::OpArgs& a, const int32_t* labels) {
  const int64_t classes = tree_.classes(), d = features_, depth = tree_.max_depth();
  const float *x = a.in[0].data(), *w = a.params[0].data(), *z = a.workspace.data();
  const float* dx = a.in_tangent.empty() || a.in_tangent[0].empty() ? nullptr : a.in_tangent[0].data();
  const float* dw =
      a.param_tangent.empty() || a.param_tangent[0].empty() ? nullptr : a.param_tangent[0].data();
  const float* db =
      a.param_tangent.size() < 2 || a.param_tangent[1].empty() ? nullptr : a.param_tangent[1].data();
  for (int64_t r = 0; r < a.batch; ++r) {
    const int32_t y = labels[r];
    const auto nodes = tree_.path_nodes(y);
    const auto signs = tree_.path_signs(y);
    double t = 0;
    for (size_t j = 0; j < nodes.size(); ++j) {
      const int64_t n = nodes[j];
      const float s = signs[j];
      double dz = 0;
      if (dx) dz += blas::dot(d, w + n * d, dx + r * d);
      if (dw) dz += blas::dot(d, dw + n * d, x + r * d);
      if (db) dz += db[n];
      t += s * sigmoid(-s * z[r * depth + static_cast<int64_t>(j)]) * dz;
    }
    a.out_tangent.data()[r * classes + y] = static_cast<float>(t);
  }
}

namespace {

std::vector<int64_t> parse_counts(const std::string& text, int64_t classes, const std::string& where) {
  std::vector<int64_t> counts;
  for (const auto& item : split(text, ","))
    counts.push_back(parse_int(item, where + "loss hierarchical_softmax option 'counts'"));
  TANDEM_USAGE_CHECK(static_cast<int64_t>(counts.size()) == classes, where, "loss hierarchical_softmax has ",
                     counts.size(), " count(s) in counts= but classes=", classes,
                     "; give one count per class (tandem train fills counts= in from the training split)");
  return counts;
}

}  // namespace

std::unique_ptr<graph::Op> make_hierarchical_softmax(SpecArgs& a, const OpContext& /*context*/) {
  const int64_t classes = a.integer("classes", 0);
  const std::string tree = a.text("tree", "balanced");
  const std::string counts = a.text("counts", "");
  TANDEM_USAGE_CHECK(classes >= 2, a.where(),
                     "loss hierarchical_softmax needs classes=C with C >= 2 (tandem train fills it in from "
                     "the training data; a model file keeps it), got ",
                     classes);
  auto init = a.init("init", "zeros");
  if (tree == "balanced") {
    TANDEM_USAGE_CHECK(counts.empty(), a.where(),
                       "counts= belongs to tree=huffman; drop it or write tree=huffman");
    return std::make_unique<HierarchicalSoftmax>(ClassTree::balanced(classes), std::move(init));
  }
  TANDEM_USAGE_CHECK(tree == "huffman", a.where(), "loss hierarchical_softmax: unknown tree '", tree,
                     "'; write tree=balanced or tree=huffman");
  TANDEM_USAGE_CHECK(!counts.empty(), a.where(),
                     "tree=huffman needs the class counts (counts=N0,N1,...), which tandem train takes from "
                     "the training split");
  return std::make_unique<HierarchicalSoftmax>(ClassTree::huffman(parse_counts(counts, classes, a.where())),
                                               std::move(init));
}

}  // namespace tandem::ops
