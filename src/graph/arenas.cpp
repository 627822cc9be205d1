// The graph's memory: parameter, gradient and state arenas, checked against what the machine
// has before they are allocated, and the placement of activation gradients.
#include <algorithm>

#include "tandem/core/error.hpp"
#include "tandem/core/memory.hpp"
#include "tandem/graph/graph.hpp"

namespace tandem::graph {

// Parameters, gradients and state, refused with what they need (and the largest parameter)
// when the machine cannot hold them.
void Graph::allocate_arenas(int64_t param_floats, int64_t state_floats) {
  const ParamRef* largest = nullptr;
  for (const auto& r : param_refs_)
    if (!largest || r.spec.shape.numel() > largest->spec.shape.numel()) largest = &r;
  const int64_t bytes = checked_product({checked_sum({param_floats, param_floats, state_floats}), 4});
  const std::string what = detail::concat(
      "the model's ", param_floats < 0 ? std::string("more than 2^63") : std::to_string(param_floats),
      " parameters and their gradients",
      largest ? detail::concat(" (the largest, '", largest->name, "' of ", nodes_[largest->node].op->type(),
                               ", is ", largest->spec.shape.str(), ")")
              : "");
  allocate_or_explain(bytes, what, "make the model smaller", [&] {
    params_.resize(param_floats);
    grads_.resize(param_floats);
    state_.resize(state_floats);
  });
}

// Activation gradients share memory where their lives in backward do not overlap. Backward
// runs the nodes in descending id order; node s's gradient is first written by its last
// reader r and last read by s's own backward, so it lives over the ids [s, r]. Inputs' and
// outputs' gradients (and those of unread nodes) are read or written by the caller, so theirs
// live over the whole pass. Returns the floats of the gradient buffer.
int64_t Graph::place_activation_grads(int64_t max_batch) {
  const int n = node_count();
  std::vector<int> low(n), high(n, -1), order(n);
  for (int id = 0; id < n; ++id)
    for (int i : nodes_[id].inputs) high[i] = std::max(high[i], id);
  for (int id = 0; id < n; ++id) {
    low[id] = nodes_[id].is_input() ? -1 : id;
    if (is_output(id) || high[id] < 0) high[id] = n;
    order[id] = id;
  }
  // In order of birth; a slot is free when its last gradient died before this one is born.
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return high[a] > high[b]; });
  struct Slot {
    int64_t offset, size;
    int holder;
  };
  std::vector<Slot> slots;
  grad_offset_.assign(n, 0);
  for (int id : order) {
    const int64_t need = nodes_[id].shape.numel() * max_batch;
    Slot* best = nullptr;
    for (Slot& slot : slots)
      if (low[slot.holder] > high[id] && slot.size >= need && (!best || slot.size < best->size)) best = &slot;
    if (!best && !slots.empty() && low[slots.back().holder] > high[id]) {
      best = &slots.back();  // the top slot is free: grow it
      best->size = need;
    }
    if (!best) {
      const int64_t top = slots.empty() ? 0 : slots.back().offset + slots.back().size;
      best = &slots.emplace_back(Slot{top, need, id});
    }
    best->holder = id;
    grad_offset_[id] = best->offset;
  }
  return slots.empty() ? 0 : slots.back().offset + slots.back().size;
}

}  // namespace tandem::graph
