#pragma once
// The optimizer groups of a model: one per parameter tensor, weights with --weight-decay and
// --l1 and the other tensors (biases, batch-norm gamma/beta, PReLU slopes, RBF centres) with
// neither, then the --param-groups rules applied in order (later rules win).
#include <string>
#include <vector>

#include "tandem/graph/graph.hpp"
#include "tandem/optim/optimizer.hpp"

namespace tandem::train {

// UsageError for a rule that matches no parameter (listing the parameter names). With `report`,
// logs the tensors the rules changed.
std::vector<optim::ParamGroup> parameter_groups(const graph::Graph& graph,
                                                const optim::OptimizerConfig& config,
                                                const std::string& rules, bool report);

}  // namespace tandem::train
