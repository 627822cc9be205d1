#pragma once
// The model-spec text format and its in-memory form. One node per line:
//
//     [NAME =] OP [ARG ...] [KEY=VALUE ...]     # comment
//
// A node reads the previous node unless it names its input with in=NAME (add and concat take
// their inputs as arguments). `loss NAME` picks the training loss. See README "Model specs".
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

struct ModelSpec {
  std::vector<NodeSpec> nodes;
  std::string loss = "softmax_cross_entropy";
  std::string source = "<builder>";  // file name, for messages

  // Canonical text: parses back to the same spec.
  std::string to_text() const;
};

// Parses spec text; errors are UsageError "FILE:LINE: problem".
ModelSpec parse_spec(const std::string& text, const std::string& source);
ModelSpec load_spec_file(const std::string& path);

}  // namespace tandem::model
