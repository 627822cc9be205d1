#pragma once
// The model-spec text format and its in-memory form. One node per line:
//
//     [NAME =] OP [ARG ...] [KEY=VALUE ...]     # comment
//
// A node reads the previous node unless it names its input with in=NAME (add and concat take
// their inputs as arguments). `loss NAME [in=NODE] [weight=W] [target=FIELD] [KEY=VALUE ...]`
// puts a loss on a node (default: the last one; other options go to losses that own an op,
// ops::LossInfo::head); several loss lines make a multi-output model whose training loss is
// their weighted sum. See README "Model specs".
#include <map>
#include <string>
#include <vector>

namespace tandem::model {

struct NodeSpec {
  std::string name;  // given or generated ("dense_3")
  std::string op;
  std::vector<std::string> args;               // positional arguments
  std::map<std::string, std::string> options;  // key=value
  std::vector<std::string> inputs;             // resolved input node names
  int line = 0;                                // 0 when built in C++
};

// One output of the model and the loss on it.
struct LossSpec {
  std::string name = "softmax_cross_entropy";
  std::string node;    // the node the loss reads
  double weight = 1;   // its weight in the training loss
  std::string target;  // the dataset's target field (/SPLIT/y/TARGET when y is a group)
  // The loss's own KEY=VALUE options (ops::LossInfo::head: `tree=huffman`), for its op.
  std::map<std::string, std::string> options;
  int line = 0;
};

struct ModelSpec {
  std::vector<NodeSpec> nodes;
  // At least one after parsing; a spec without a loss line gets softmax cross-entropy on its
  // last node.
  std::vector<LossSpec> losses;
  std::string source = "<builder>";  // file name, for messages

  // Canonical text: parses back to the same spec.
  std::string to_text() const;
};

// Parses spec text; errors are UsageError "FILE:LINE: problem".
ModelSpec parse_spec(const std::string& text, const std::string& source);
ModelSpec load_spec_file(const std::string& path);
// Fills in the defaults of the loss lines (none: softmax cross-entropy; node: the last node;
// target: the node's name) and checks them (parse_spec and build_model call it).
void resolve_losses(ModelSpec& spec);

}  // namespace tandem::model
