#include "tandem/train/param_groups.hpp"

#include "tandem/core/error.hpp"
#include "tandem/core/log.hpp"
#include "tandem/core/strings.hpp"

namespace tandem::train {

std::vector<optim::ParamGroup> parameter_groups(const graph::Graph& graph, const optim::OptimizerConfig& c,
                                                const std::string& rule_text, bool report) {
  const auto rules = optim::parse_group_rules(rule_text);
  std::vector<int> matched(rules.size(), 0);
  std::vector<optim::ParamGroup> groups;
  std::string custom;
  for (const auto& ref : graph.param_refs()) {
    optim::ParamGroup g{ref.offset, ref.offset + ref.spec.shape.numel(),
                        ref.spec.decay ? c.weight_decay : 0.0, ref.spec.decay ? c.l1 : 0.0, 1.0};
    g.frozen = graph.frozen(ref.node);
    bool changed = false;
    for (size_t r = 0; r < rules.size(); ++r) {
      if (!optim::glob_match(rules[r].pattern, ref.name)) continue;
      ++matched[r];
      changed = true;
      if (rules[r].weight_decay >= 0) g.weight_decay = rules[r].weight_decay;
      if (rules[r].l1 >= 0) g.l1 = rules[r].l1;
      if (rules[r].lr_scale >= 0) g.lr_scale = rules[r].lr_scale;
      if (rules[r].adapt >= 0) g.adapt = rules[r].adapt > 0;
    }
    if (changed)
      custom += "\n  " + ref.name + ": weight_decay " + format_number(g.weight_decay) + ", l1 " +
                format_number(g.l1) + ", lr_scale " + format_number(g.lr_scale) + ", adapt " +
                (g.adapt ? "1" : "0");
    groups.push_back(g);
  }
  for (size_t r = 0; r < rules.size(); ++r) {
    if (matched[r] > 0) continue;
    std::vector<std::string> names;
    for (const auto& ref : graph.param_refs()) names.push_back(ref.name);
    throw UsageError("--param-groups pattern '" + rules[r].pattern +
                     "' matches no parameter; the parameters are: " + join(names, " "));
  }
  if (!custom.empty() && report) log::infof("parameter groups set by --param-groups:", custom);
  return groups;
}

}  // namespace tandem::train
