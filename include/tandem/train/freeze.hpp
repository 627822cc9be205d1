#pragma once
// --freeze: which nodes of a model stay untrained. Patterns are globs over node names (* and ?,
// as in --param-groups), comma-separated; only nodes with parameters count.
#include <string>
#include <vector>

#include "tandem/graph/graph.hpp"

namespace tandem::train {

// The ids of the nodes with parameters matched by `patterns`, ascending. UsageError for a
// pattern that matches none (listing the nodes with parameters) and for a set that freezes
// every parameter (nothing would train). With `report`, logs the frozen nodes.
std::vector<int> frozen_nodes(const graph::Graph& graph, const std::string& patterns, bool report);

// The first arena offset from which every parameter is frozen (the arena's size when the last
// parameter is trainable): the gradients past it are never computed, so never exchanged.
int64_t trainable_prefix(const graph::Graph& graph);

}  // namespace tandem::train
