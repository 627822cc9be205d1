#include "tandem/graph/graph.hpp"

#include <algorithm>

#include "tandem/core/error.hpp"
#include "tandem/core/memory.hpp"
#include "tandem/tensor/kernels.hpp"

namespace tandem::graph {

int Graph::add_input(const std::string& name, const Shape& per_sample) {
  TANDEM_ASSERT(!finalized_, "cannot add input '", name, "' to a finalized graph");
  TANDEM_USAGE_CHECK(find(name) < 0, "duplicate node name '", name, "'");
  Node n;
  n.name = name;
  n.shape = per_sample;
  nodes_.push_back(std::move(n));
  inputs_.push_back(node_count() - 1);
  return node_count() - 1;
}

int Graph::add_node(const std::string& name, std::unique_ptr<Op> op, const std::vector<int>& inputs) {
  TANDEM_ASSERT(!finalized_, "cannot add node '", name, "' to a finalized graph");
  TANDEM_USAGE_CHECK(find(name) < 0, "duplicate node name '", name, "'");
  const int arity = op->arity();
  TANDEM_USAGE_CHECK(arity < 0 ? inputs.size() >= 2 : static_cast<int>(inputs.size()) == arity, "node '",
                     name, "' (", op->type(), ") takes ", arity < 0 ? "two or more" : std::to_string(arity),
                     " input(s), got ", inputs.size());
  std::vector<Shape> in_shapes;
  for (int i : inputs) {
    TANDEM_ASSERT(i >= 0 && i < node_count(), "node '", name, "' refers to unknown node ", i);
    in_shapes.push_back(nodes_[i].shape);
  }
  Node n;
  n.name = name;
  n.inputs = inputs;
  try {
    n.shape = op->infer(in_shapes);
  } catch (const UsageError& e) {
    throw UsageError(detail::concat("node '", name, "' (", op->type(), "): ", e.what()));
  }
  n.op = std::move(op);
  nodes_.push_back(std::move(n));
  return node_count() - 1;
}

void Graph::set_outputs(const std::vector<int>& outputs) {
  TANDEM_CHECK(!outputs.empty(), "a graph needs at least one output");
  outputs_ = outputs;
}

int Graph::find(const std::string& name) const {
  for (int i = 0; i < node_count(); ++i)
    if (nodes_[i].name == name) return i;
  return -1;
}

void Graph::set_input_grads(bool enabled) {
  input_grads_ = enabled;
  update_requires_grad();
}

// In topological order: a node needs its backward when it has a trainable parameter or
// some node upstream needs one.
void Graph::update_requires_grad() {
  for (auto& n : nodes_) {
    n.requires_grad = n.is_input() ? input_grads_ : !n.params.empty() && !n.frozen;
    for (int i : n.inputs) n.requires_grad = n.requires_grad || nodes_[i].requires_grad;
  }
}

void Graph::set_frozen(const std::vector<int>& frozen) {
  TANDEM_ASSERT(finalized_, "set_frozen() before finalize()");
  for (auto& n : nodes_) n.frozen = false;
  for (int id : frozen) {
    TANDEM_ASSERT(id >= 0 && id < node_count() && !nodes_[id].is_input(), "cannot freeze node ", id);
    nodes_[id].frozen = true;
  }
  update_requires_grad();
  if (max_batch_ > 0)
    for (int id = 0; id < node_count(); ++id) bind_param_grads(id);
}

void Graph::bind_param_grads(int id) {
  const Node& n = nodes_[id];
  args_[id].param_grad.assign(n.params.size(), Tensor());
  if (n.frozen) return;
  for (size_t p = 0; p < n.params.size(); ++p) args_[id].param_grad[p] = grad(n.params[p]);
}

void Graph::finalize() {
  TANDEM_ASSERT(!finalized_, "graph finalized twice");
  TANDEM_CHECK(!inputs_.empty(), "a graph needs at least one input");
  if (outputs_.empty()) outputs_ = {node_count() - 1};
  // Parameters in reverse node order: the order their gradients complete in backward, so
  // that gradient buckets are contiguous slices of the arena.
  int64_t p_off = 0, s_off = 0;
  for (int id = node_count() - 1; id >= 0; --id) {
    Node& n = nodes_[id];
    if (n.is_input()) continue;
    for (auto& spec : n.op->params()) {
      n.params.push_back(static_cast<int>(param_refs_.size()));
      param_refs_.push_back({id, n.name + "." + spec.name, spec, p_off});
      p_off = checked_sum({p_off, spec.shape.numel()});
    }
    for (auto& spec : n.op->state()) {
      n.states.push_back(static_cast<int>(state_refs_.size()));
      state_refs_.push_back({id, n.name + "." + spec.name, spec, s_off});
      s_off = checked_sum({s_off, spec.shape.numel()});
    }
  }
  allocate_arenas(p_off, s_off);
  grads_done_.assign(nodes_.size(), 0);
  int64_t done = 0;
  for (int id = node_count() - 1; id >= 0; --id) {
    for (int ref : nodes_[id].params) {
      const auto& r = param_refs_[ref];
      done = std::max(done, r.offset + r.spec.shape.numel());
    }
    grads_done_[id] = done;
  }
  for (auto& ref : state_refs_)
    kernels::fill(state_.data() + ref.offset, ref.spec.shape.numel(), ref.spec.initial);
  consumers_.assign(nodes_.size(), 0);
  for (auto& n : nodes_)
    for (int i : n.inputs) ++consumers_[i];
  piece_done_ = [this](const float* end) { (*progress_)(end - grads_.data()); };
  fold_epilogues();
  assign_layouts();
  finalized_ = true;
  set_input_grads(input_grads_);
}

bool Graph::is_output(int node) const {
  return std::find(outputs_.begin(), outputs_.end(), node) != outputs_.end();
}

void Graph::set_fusion(bool enabled) {
  TANDEM_ASSERT(!finalized_, "set_fusion() after finalize()");
  fusion_ = enabled;
}

// B = f(A) with f elementwise: A's forward writes f(A) into B's buffer and B's forward is
// skipped. Only when B is A's one reader and A no output, so A's own values are never read;
// backward runs B (which reads only its output) and A as before.
void Graph::fold_epilogues() {
  writes_to_.resize(nodes_.size());
  for (int id = 0; id < node_count(); ++id) writes_to_[id] = id;
  folded_.assign(nodes_.size(), 0);
  if (!fusion_) return;
  for (int id = 0; id < node_count(); ++id) {
    const Node& b = nodes_[id];
    if (b.is_input() || b.inputs.size() != 1 || b.op->foldable_as() == Epilogue::kNone) continue;
    const int a = b.inputs[0];
    if (nodes_[a].is_input() || consumers_[a] != 1 || is_output(a) || writes_to_[a] != a) continue;
    if (!nodes_[a].op->fuse_epilogue(b.op->foldable_as())) continue;
    writes_to_[a] = id;
    folded_[id] = 1;
  }
}

void Graph::set_blocked_layouts(bool enabled) {
  TANDEM_ASSERT(!finalized_, "set_blocked_layouts() after finalize()");
  blocked_ = enabled;
}

// Backwards, which outputs may be blocked (every reader takes it, and readers that keep their
// input's layout may pass it on); then forwards, what each op makes of its input's layout. An
// op of several inputs that keeps their layout (add) needs them all alike: where they differ
// (one comes from an op with no blocked output), it is made plain and the choice made again.
void Graph::assign_layouts() {
  layouts_.assign(nodes_.size(), Layout::kPlain);
  if (!blocked_) return;
  std::vector<std::vector<int>> readers(nodes_.size());
  for (int id = 0; id < node_count(); ++id)
    for (int i : nodes_[id].inputs) readers[i].push_back(id);
  std::vector<char> plain(nodes_.size(), 0);  // made plain by a mixed add
  for (;;) {
    std::vector<char> may(nodes_.size(), 0);
    for (int id = node_count() - 1; id >= 0; --id) {
      const Node& n = nodes_[id];
      if (n.is_input() || is_output(id) || plain[id] || n.shape.rank() != 3 || n.shape[0] % 16 != 0 ||
          readers[id].empty())
        continue;
      bool ok = true;
      for (int r : readers[id]) {
        const Op& op = *nodes_[r].op;
        ok = ok && op.accepts_blocked_input() &&
             (nodes_[r].inputs.size() == 1 || op.output_follows_input()) &&
             (!op.output_follows_input() || may[r]);
      }
      may[id] = ok;
    }
    const int mixed = choose_layouts(may);
    if (mixed < 0) break;
    plain[mixed] = 1;
    layouts_.assign(nodes_.size(), Layout::kPlain);
  }
  for (Node& n : nodes_)
    if (!n.is_input()) n.op->set_layouts(layouts_[n.inputs[0]], layouts_[&n - nodes_.data()]);
}

// Forwards from `may`; returns an op whose inputs came out in different layouts, or -1.
int Graph::choose_layouts(const std::vector<char>& may) {
  for (int id = 0; id < node_count(); ++id) {
    const Node& n = nodes_[id];
    if (n.is_input()) continue;
    const Layout first = layouts_[n.inputs[0]];
    for (int i : n.inputs)
      if (layouts_[i] != first) return id;
    if (may[id] && n.op->can_output_blocked(first == Layout::kBlocked16)) layouts_[id] = Layout::kBlocked16;
    if (folded_[id]) layouts_[n.inputs[0]] = layouts_[id];  // the producer writes this buffer
  }
  return -1;
}

Tensor Graph::param(int ref) const {
  const auto& r = param_refs_[ref];
  return Tensor(params_.data() + r.offset, r.spec.shape);
}
Tensor Graph::grad(int ref) const {
  const auto& r = param_refs_[ref];
  return Tensor(grads_.data() + r.offset, r.spec.shape);
}
Tensor Graph::state_tensor(int ref) const {
  const auto& r = state_refs_[ref];
  return Tensor(state_.data() + r.offset, r.spec.shape);
}

void Graph::plan(int64_t max_batch) {
  TANDEM_ASSERT(finalized_, "plan() before finalize()");
  TANDEM_ASSERT(max_batch > 0, "plan() needs a positive batch, got ", max_batch);
  if (max_batch <= max_batch_) return;
  max_batch_ = max_batch;
  act_offset_.assign(nodes_.size() + 1, 0);
  ws_offset_.assign(nodes_.size() + 1, 0);
  int64_t scratch = 0;
  for (int id = 0; id < node_count(); ++id) {
    const Node& n = nodes_[id];
    act_offset_[id + 1] = checked_sum({act_offset_[id], checked_product({n.shape.numel(), max_batch})});
    const int64_t ws = n.is_input() ? 0 : n.op->workspace_floats(max_batch);
    ws_offset_[id + 1] = checked_sum({ws_offset_[id], ws});
    if (!n.is_input()) scratch = std::max(scratch, n.op->scratch_floats(max_batch));
  }
  // Gradients of activations take at most as much as the activations.
  const int64_t acts = act_offset_.back();
  const int64_t bytes = checked_product({checked_sum({acts, acts, acts, ws_offset_.back(), scratch}), 4});
  try {
    allocate_or_explain(
        bytes,
        detail::concat("the activations of a batch of ", max_batch, " (with their gradients and workspace)"),
        "lower --batch-size, or set --max-micro-batch, or make the model smaller", [&] {
          acts_.resize(acts);
          act_grads_.resize(place_activation_grads(max_batch));
          tangents_.resize(acts);
          workspace_.resize(ws_offset_.back());
          scratch_.resize(scratch);
        });
  } catch (...) {
    max_batch_ = 0;  // unplanned: the next plan() lays everything out again
    throw;
  }
  args_.assign(nodes_.size(), OpArgs{});
  for (int id = 0; id < node_count(); ++id) {
    const Node& n = nodes_[id];
    OpArgs& a = args_[id];
    a.node_id = id;
    a.in.resize(n.inputs.size());
    a.in_grad.resize(n.inputs.size());
    a.in_tangent.resize(n.inputs.size());
    a.accumulate.resize(n.inputs.size());
    for (int ref : n.params) a.params.push_back(param(ref));
    bind_param_grads(id);
    a.param_tangent.resize(n.params.size());
    for (int ref : n.states) a.state.push_back(state_tensor(ref));
  }
}

Tensor Graph::rows(const Buffer& buf, int node, int64_t batch) const {
  TANDEM_ASSERT(batch <= max_batch_, "batch ", batch, " exceeds the planned maximum ", max_batch_);
  return Tensor(buf.data() + act_offset_[node], nodes_[node].shape.with_batch(batch));
}

Tensor Graph::value(int node, int64_t batch) const {
  return rows(acts_, node, batch);
}
Tensor Graph::value_grad(int node, int64_t batch) const {
  TANDEM_ASSERT(batch <= max_batch_, "batch ", batch, " exceeds the planned maximum ", max_batch_);
  return Tensor(act_grads_.data() + grad_offset_[node], nodes_[node].shape.with_batch(batch));
}
Tensor Graph::tangent(int node, int64_t batch) const {
  return rows(tangents_, node, batch);
}

OpArgs& Graph::args_for(int id, int64_t batch, const RunInfo& run) {
  const Node& n = nodes_[id];
  OpArgs& a = args_[id];
  a.batch = batch;
  a.run = &run_for(id, run);
  for (size_t i = 0; i < n.inputs.size(); ++i) a.in[i] = value(n.inputs[i], batch);
  a.out = value(writes_to_[id], batch);
  a.workspace = Tensor(workspace_.data() + ws_offset_[id], Shape{ws_offset_[id + 1] - ws_offset_[id]});
  a.scratch = Tensor(scratch_.data(), Shape{static_cast<int64_t>(scratch_.size())});
  return a;
}

void Graph::forward(int64_t batch, const RunInfo& run) {
  TANDEM_ASSERT(max_batch_ > 0, "forward() before plan()");
  frozen_run_ = run;
  frozen_run_.training = false;
  for (int id = 0; id < node_count(); ++id) {
    if (nodes_[id].is_input() || folded_[id]) continue;
    nodes_[id].op->forward(args_for(id, batch, run));
  }
}

void Graph::zero_grads() {
  kernels::fill(grads_.data(), static_cast<int64_t>(grads_.size()), 0.0f);
}

void Graph::backward(int64_t batch, const RunInfo& run, const std::function<void(int64_t)>& on_progress) {
  progress_ = on_progress ? &on_progress : nullptr;
  frozen_run_ = run;
  frozen_run_.training = false;
  // A node's gradient buffer is overwritten by its last consumer in forward order (the first
  // to run backward) and accumulated by the others; no buffer needs zeroing.
  std::vector<int>& seen = scratch_counts_;
  seen.assign(nodes_.size(), 0);
  // The caller wrote the outputs' gradients: nodes reading an output add to them.
  for (int id : outputs_) seen[id] = 1;
  for (int id = node_count() - 1; id >= 0; --id) {
    const Node& n = nodes_[id];
    if (n.is_input() || !n.requires_grad) continue;
    OpArgs& a = args_for(id, batch, run);
    a.out_grad = value_grad(id, batch);
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      const int src = n.inputs[i];
      a.in_grad[i] = nodes_[src].requires_grad ? value_grad(src, batch) : Tensor();
      a.accumulate[i] = seen[src] > 0;
      if (nodes_[src].requires_grad) ++seen[src];
    }
    a.piece_done = progress_ ? &piece_done_ : nullptr;
    n.op->backward(a);
    if (progress_) (*progress_)(grads_done_[id]);
  }
}

void Graph::jvp(int64_t batch, const RunInfo& run, std::span<const float> param_tangent) {
  TANDEM_ASSERT(param_tangent.empty() || param_tangent.size() == params_.size(), "parameter tangent has ",
                param_tangent.size(), " floats, the arena ", params_.size());
  frozen_run_ = run;
  frozen_run_.training = false;
  for (int id = 0; id < node_count(); ++id) {
    const Node& n = nodes_[id];
    if (n.is_input()) continue;
    OpArgs& a = args_for(id, batch, run);
    for (size_t i = 0; i < n.inputs.size(); ++i) a.in_tangent[i] = tangent(n.inputs[i], batch);
    for (size_t p = 0; p < n.params.size(); ++p) {
      const auto& ref = param_refs_[n.params[p]];
      a.param_tangent[p] =
          param_tangent.empty()
              ? Tensor()
              : Tensor(const_cast<float*>(param_tangent.data()) + ref.offset, ref.spec.shape);
    }
    a.out_tangent = tangent(id, batch);
    n.op->jvp(a);
  }
}

}  // namespace tandem::graph
