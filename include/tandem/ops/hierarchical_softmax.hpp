#pragma once
// Hierarchical softmax: class probabilities as products of binary decisions down a tree
// (ops::ClassTree). Internal node n has a weight vector w_n and a bias b_n acting on the
// features x: going left has probability σ(w_n·x + b_n), right σ(−w_n·x − b_n), so
// log p(c | x) = Σ over c's path of log σ(s_j z_j), and the C leaves' probabilities sum to 1.
//
// [batch, D] -> [batch, C]: the classes' log-probabilities (softmax of them is the
// distribution, so everything that reads softmax logits reads these unchanged).
// weight [C − 1, D], bias [C − 1], one row per internal node, in the parameter arena.
//
// Two modes. Given the class of each sample (RunInfo::labels at this node, which the trainer
// sets in training), forward writes only out[r, y_r], backward reads only out_grad[r, y_r] and
// jvp writes only out_tangent[r, y_r]: O(D log C) per sample, touching only the path's rows of
// the weight. Otherwise all C log-probabilities: one GEMM over the internal nodes, then a
// top-down pass (backward: a bottom-up pass, then GEMMs).
#include <memory>

#include "tandem/graph/op.hpp"
#include "tandem/ops/class_tree.hpp"
#include "tandem/ops/registry.hpp"

namespace tandem::ops {

class HierarchicalSoftmax final : public graph::Op {
 public:
  HierarchicalSoftmax(ClassTree tree, graph::InitSpec weight_init);
  std::string type() const override { return "hierarchical_softmax"; }
  Shape infer(const std::vector<Shape>& in) override;
  std::vector<graph::ParamSpec> params() const override;
  std::string param_layout() const override;
  int64_t workspace_floats(int64_t batch) const override;
  int64_t scratch_floats(int64_t batch) const override;
  void forward(graph::OpArgs& a) override;
  void backward(graph::OpArgs& a) override;
  void jvp(graph::OpArgs& a) override;
  const ClassTree& tree() const { return tree_; }

 private:
  // The samples' classes when this pass computes paths only; null for all classes.
  const int32_t* path_labels(const graph::OpArgs& a) const;
  void forward_paths(graph::OpArgs& a, const int32_t* labels);
  void backward_paths(graph::OpArgs& a, const int32_t* labels);
  void jvp_paths(graph::OpArgs& a, const int32_t* labels);
  void forward_all(graph::OpArgs& a);
  void backward_all(graph::OpArgs& a);
  void jvp_all(graph::OpArgs& a);
  // z = x W^T + b into [batch, C − 1].
  void node_logits(const graph::OpArgs& a, float* z) const;

  ClassTree tree_;
  graph::InitSpec weight_init_;
  int64_t features_ = 0;
};

// The op a `loss hierarchical_softmax` line puts on its node (LossInfo::head), from the line's
// options: classes=C, tree=balanced|huffman, counts=N0,N1,... (huffman), init=zeros.
std::unique_ptr<graph::Op> make_hierarchical_softmax(SpecArgs& args, const OpContext& context);

}  // namespace tandem::ops
