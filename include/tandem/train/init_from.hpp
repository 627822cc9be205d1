#pragma once
// --init-from: a model's parameters and batch-norm statistics taken from another model (a
// model file or a checkpoint), node by node by name, where the tensors agree in names and
// shapes. Pre-train on a simpler task, then fine-tune.
#include <map>
#include <string>
#include <vector>

#include "tandem/graph/graph.hpp"

namespace tandem::train {

// What happened to one node: this model's node `node` took the source's node `source`
// (copied: same name; renamed: through --init-map), or was skipped with a reason. A source
// node no node took appears with an empty `node`.
struct InitOutcome {
  enum class Kind { kCopied, kRenamed, kSkipped };
  std::string node, source;
  Kind kind = Kind::kSkipped;
  std::string reason;  // skipped: why
};

struct InitReport {
  std::string path;
  std::string format;              // "model file" or "checkpoint"
  std::string source_preprocess;   // the source's --preprocess mode ("none" when it stored none)
  std::vector<InitOutcome> nodes;  // this model's nodes in order, then the source's unused ones
  int count(InitOutcome::Kind kind) const;
  // A summary line, then one line per node.
  std::vector<std::string> lines() const;
};

// 'OLD=NEW,...' as NEW -> OLD. UsageError for a malformed entry or a NEW given twice.
std::map<std::string, std::string> parse_init_map(const std::string& text);

// Copies into `graph` (parameters and state, by node) from the model file or checkpoint at
// `path`. UsageError when the file is neither, or when --init-map names a node the source or
// this model does not have (listing theirs).
InitReport init_from(graph::Graph& graph, const std::string& path, const std::string& map_text);

}  // namespace tandem::train
