#pragma once
// The static DAG: inputs, nodes with named inputs, outputs. Built once, then planned for a
// maximum batch; forward, backward (reverse mode) and jvp (forward mode) reuse the planned
// buffers, so a steady-state step allocates nothing.
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tandem/graph/op.hpp"
#include "tandem/tensor/tensor.hpp"

namespace tandem::graph {

// Where one parameter tensor lives in the parameter and gradient arenas.
struct ParamRef {
  int node = 0;
  std::string name;  // "<node>.<param>"
  ParamSpec spec;
  int64_t offset = 0;  // floats into the arenas
};

struct StateRef {
  int node = 0;
  std::string name;
  StateSpec spec;
  int64_t offset = 0;
};

struct Node {
  std::string name;
  std::unique_ptr<Op> op;  // null for an input
  std::vector<int> inputs;
  Shape shape;              // per sample
  std::vector<int> params;  // indices into Graph::param_refs()
  std::vector<int> states;
  bool requires_grad = false;  // some trainable parameter or requested input lies upstream
  bool frozen = false;         // Graph::set_frozen: no parameter gradient, running statistics fixed
  bool is_input() const { return op == nullptr; }
};

class Graph {
 public:
  Graph() = default;
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  // Building. Names are unique; inputs must already exist, so insertion order is a
  // topological order.
  int add_input(const std::string& name, const Shape& per_sample);
  int add_node(const std::string& name, std::unique_ptr<Op> op, const std::vector<int>& inputs);
  void set_outputs(const std::vector<int>& outputs);
  // Infers shapes, lays out the arenas (in the order gradients become ready in backward).
  void finalize();

  int find(const std::string& name) const;  // -1 if absent
  const Node& node(int id) const { return nodes_[id]; }
  int node_count() const { return static_cast<int>(nodes_.size()); }
  const std::vector<int>& inputs() const { return inputs_; }
  const std::vector<int>& outputs() const { return outputs_; }

  // Arenas: parameters, gradients (same layout), non-trainable state.
  std::span<float> params() { return {params_.data(), params_.size()}; }
  std::span<float> grads() { return {grads_.data(), grads_.size()}; }
  std::span<float> state() { return {state_.data(), state_.size()}; }
  const std::vector<ParamRef>& param_refs() const { return param_refs_; }
  const std::vector<StateRef>& state_refs() const { return state_refs_; }
  Tensor param(int ref) const;
  Tensor grad(int ref) const;
  Tensor state_tensor(int ref) const;
  int64_t param_count() const { return static_cast<int64_t>(params_.size()); }

  // Fold elementwise ops into the op producing their input where both allow it (Op::
  // foldable_as, Op::fuse_epilogue); on by default; set before finalize().
  void set_fusion(bool enabled);
  // Whether this node's op was folded into its producer (after finalize()).
  bool folded(int node) const { return folded_[node] != 0; }
  // Let chains of ops keep activations in the blocked layout (graph::Layout); on by default;
  // set before finalize(). layout(): how value(), value_grad() and tangent() of a node lie.
  void set_blocked_layouts(bool enabled);
  Layout layout(int node) const { return layouts_[node]; }

  // Ask for gradients with respect to the graph inputs too (gradient checks, saliency).
  void set_input_grads(bool enabled);
  // Freeze these nodes (after finalize(); replaces the previous set): backward computes no
  // gradient for their parameters (the op sees empty param_grad tensors) and skips every node
  // with nothing trainable upstream, so a frozen feature extractor costs forward only. A frozen
  // node runs as in evaluation (RunInfo::training false): batch norm normalizes with its running
  // statistics and leaves them as they are, a fixed function like the rest of the node.
  void set_frozen(const std::vector<int>& nodes);
  bool frozen(int node) const { return nodes_[node].frozen; }

  // Allocates activation, gradient, tangent and workspace buffers for up to max_batch rows.
  void plan(int64_t max_batch);
  int64_t max_batch() const { return max_batch_; }

  // Views of a node's buffers for the current batch.
  Tensor value(int node, int64_t batch) const;
  Tensor value_grad(int node, int64_t batch) const;
  Tensor tangent(int node, int64_t batch) const;

  void forward(int64_t batch, const RunInfo& run);
  // Reverse mode: the caller has written the gradient of every output (value_grad).
  // Accumulates into the gradient arena (call zero_grads() first to start afresh).
  // on_progress(f) reports that the gradient arena [0, f) is final (arena order is backward
  // order): after each node, and between the pieces of large parameter gradients.
  void backward(int64_t batch, const RunInfo& run, const std::function<void(int64_t)>& on_progress = {});
  void zero_grads();
  // Forward mode at the current forward values: the caller sets tangents of the inputs
  // (tangent(input)) and passes parameter tangents in arena layout (empty: zero).
  void jvp(int64_t batch, const RunInfo& run, std::span<const float> param_tangent);

 private:
  OpArgs& args_for(int node, int64_t batch, const RunInfo& run);
  bool is_output(int node) const;
  void fold_epilogues();
  void assign_layouts();
  int choose_layouts(const std::vector<char>& may);
  Tensor rows(const Buffer& buf, int node, int64_t batch) const;
  int64_t place_activation_grads(int64_t max_batch);
  void allocate_arenas(int64_t param_floats, int64_t state_floats);
  void update_requires_grad();
  void bind_param_grads(int node);  // args_[node].param_grad: the arena's, or empty when frozen
  const RunInfo& run_for(int node, const RunInfo& run) const {
    return nodes_[node].frozen ? frozen_run_ : run;
  }

  std::vector<Node> nodes_;
  std::vector<int> inputs_, outputs_;
  bool finalized_ = false;
  bool input_grads_ = false;
  bool fusion_ = true;
  bool blocked_ = true;
  std::vector<Layout> layouts_;  // per node
  std::vector<int> writes_to_;   // per node: whose output buffer its forward writes
  std::vector<char> folded_;     // per node: folded into its producer (its forward is skipped)
  std::vector<ParamRef> param_refs_;
  std::vector<StateRef> state_refs_;
  Buffer params_, grads_, state_;
  std::vector<int64_t> grads_done_;  // per node: arena floats final once its backward ran

  int64_t max_batch_ = 0;
  std::vector<int64_t> act_offset_;  // per node, floats into the activation buffers
  std::vector<int64_t> ws_offset_;
  std::vector<int64_t> grad_offset_;  // per node, floats into act_grads_ (shared by liveness)
  std::vector<int> consumers_;        // number of nodes reading each node
  Buffer acts_, act_grads_, tangents_, workspace_, scratch_;
  std::vector<OpArgs> args_;  // reused each pass: no allocation in steady state
  std::vector<int> scratch_counts_;
  RunInfo frozen_run_;  // the pass's RunInfo in evaluation mode, for frozen nodes
  const std::function<void(int64_t)>* progress_ = nullptr;  // during backward
  std::function<void(const float*)> piece_done_;            // handed to ops, forwards to progress_
};

}  // namespace tandem::graph
