// The graph's memory: parameter, gradient and state arenas, checked against what the machine
// has before they are allocated.
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

}  // namespace tandem::graph
