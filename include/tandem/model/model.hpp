#pragma once
// A built model: the graph of a spec, its loss, and what the data must look like.
#include <cstdint>
#include <memory>
#include <string>

#include "tandem/dist/comm.hpp"
#include "tandem/graph/graph.hpp"
#include "tandem/model/preprocessing.hpp"
#include "tandem/model/spec.hpp"
#include "tandem/ops/losses.hpp"

namespace tandem::model {

struct Model {
  ModelSpec spec;
  graph::Graph graph;
  std::unique_ptr<ops::Loss> loss;
  int input = 0;                // the graph input node
  int output = 0;               // the node the loss reads
  Preprocessing preprocessing;  // applied to every input batch (training, eval, predict)
  Shape input_shape() const { return graph.node(input).shape; }
  // Per-sample output size: the number of classes for a classifier.
  int64_t outputs() const { return graph.node(output).shape.numel(); }
};

struct BuildOptions {
  // Communicator for synchronized batch norm; null computes per-rank statistics.
  dist::Comm* bn_comm = nullptr;
};

// Builds the graph of a spec; errors name the spec file and line.
std::unique_ptr<Model> build_model(const ModelSpec& spec, const BuildOptions& options = {});

// Fills every parameter from its InitSpec with Philox keyed by (seed, parameter index):
// the same seed gives the same parameters on every rank.
void initialize(graph::Graph& graph, uint64_t seed);

// The initialization schemes, by name; UsageError for an unknown one.
void init_tensor(const graph::InitSpec& spec, Tensor t, uint64_t seed, uint32_t stream);
bool known_init(const std::string& scheme);
std::string known_inits();  // the list, for messages

}  // namespace tandem::model
