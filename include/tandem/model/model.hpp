#pragma once
// A built model: the graph of a spec, its loss, and what the data must look like.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tandem/dist/comm.hpp"
#include "tandem/graph/graph.hpp"
#include "tandem/model/init.hpp"
#include "tandem/model/preprocessing.hpp"
#include "tandem/model/spec.hpp"
#include "tandem/ops/losses.hpp"
#include "tandem/tensor/precision.hpp"

namespace tandem::model {

// An input node, fed from /SPLIT/x (single input) or /SPLIT/x/NAME.
struct Input {
  std::string name;
  int node = 0;
};

// An output node and its loss, trained against /SPLIT/y (single output) or /SPLIT/y/TARGET.
struct Head {
  std::string name;    // the node's name
  std::string target;  // the target field
  int node = 0;
  std::unique_ptr<ops::Loss> loss;
  double weight = 1;  // in the training loss: the sum over heads of weight * loss
};

struct Model {
  ModelSpec spec;
  graph::Graph graph;
  std::vector<Input> inputs;  // in spec order
  std::vector<Head> heads;    // in spec order; heads[0] gives the reported accuracy
  // Applied to the first input of every batch (training, eval, predict).
  Preprocessing preprocessing;

  int input() const { return inputs[0].node; }
  int output() const { return heads[0].node; }
  ops::Loss& loss() const { return *heads[0].loss; }
  Shape input_shape() const { return graph.node(input()).shape; }
  // Per-sample size of the first output: the number of classes for a classifier.
  int64_t outputs() const { return graph.node(output()).shape.numel(); }
};

struct BuildOptions {
  // Communicator for synchronized batch norm; null computes per-rank statistics.
  dist::Comm* bn_comm = nullptr;
  Precision precision = Precision::kFp32;  // of the convolutions' inputs and weights
  bool fuse = true;                        // fold ReLUs into their producers (graph::Epilogue)
  bool blocked_layouts = true;             // keep conv/pool chains in nChw16c (graph::Layout)
};

// Builds the graph of a spec; errors name the spec file and line.
std::unique_ptr<Model> build_model(const ModelSpec& spec, const BuildOptions& options = {});

}  // namespace tandem::model
