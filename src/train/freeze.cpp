#include "tandem/train/freeze.hpp"

#include <algorithm>

#include "tandem/core/error.hpp"
#include "tandem/core/log.hpp"
#include "tandem/core/strings.hpp"
#include "tandem/optim/optimizer.hpp"

namespace tandem::train {

std::vector<int> frozen_nodes(const graph::Graph& g, const std::string& patterns, bool report) {
  std::vector<std::string> trainable;  // nodes with parameters
  for (int id = 0; id < g.node_count(); ++id)
    if (!g.node(id).params.empty()) trainable.push_back(g.node(id).name);
  std::vector<int> frozen;
  for (const auto& pattern : split(patterns, ",")) {
    const std::string p = trim(pattern);
    if (p.empty()) continue;
    bool matched = false;
    for (int id = 0; id < g.node_count(); ++id) {
      if (g.node(id).params.empty() || !optim::glob_match(p, g.node(id).name)) continue;
      matched = true;
      if (std::find(frozen.begin(), frozen.end(), id) == frozen.end()) frozen.push_back(id);
    }
    TANDEM_USAGE_CHECK(matched, "--freeze pattern '", p,
                       "' matches no node with parameters; they are: ", join(trainable, " "));
  }
  std::sort(frozen.begin(), frozen.end());
  TANDEM_USAGE_CHECK(frozen.size() < trainable.size(), "--freeze '", patterns,
                     "' freezes every node with parameters, leaving nothing to train; freeze fewer nodes");
  if (report) {
    std::vector<std::string> names;
    int64_t floats = 0;
    for (int id : frozen) {
      names.push_back(g.node(id).name);
      for (int ref : g.node(id).params) floats += g.param_refs()[ref].spec.shape.numel();
    }
    log::infof("frozen (--freeze): ", join(names, " "), " (", floats, " of ", g.param_count(),
               " parameters)");
  }
  return frozen;
}

int64_t trainable_prefix(const graph::Graph& g) {
  int64_t end = 0;
  for (const auto& ref : g.param_refs())
    if (!g.frozen(ref.node)) end = std::max(end, ref.offset + ref.spec.shape.numel());
  return end;
}

}  // namespace tandem::train
