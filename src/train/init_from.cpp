#include "tandem/train/init_from.hpp"

#include <algorithm>

#include "tandem/core/error.hpp"
#include "tandem/core/strings.hpp"
#include "tandem/io/h5.hpp"
#include "tandem/model/model.hpp"
#include "tandem/model/spec.hpp"

namespace tandem::train {
namespace {

// One stored tensor of a node: "/params/NODE.weight" -> {"weight", "/params/NODE.weight", dims}.
struct Stored {
  std::string name, path;
  Shape shape;
};
using SourceNodes = std::map<std::string, std::vector<Stored>>;

SourceNodes read_source_nodes(const io::H5File& f) {
  SourceNodes nodes;
  for (const std::string group : {"/params", "/state"}) {
    if (!f.exists(group)) continue;
    for (const auto& member : f.members(group)) {
      const auto dot = member.rfind('.');
      if (dot == std::string::npos) continue;
      const std::string path = group + "/" + member;
      nodes[member.substr(0, dot)].push_back({member.substr(dot + 1), path, Shape(f.info(path).dims)});
    }
  }
  return nodes;
}

// This model's tensors of node `id`, parameters then state, as views of the arenas.
std::vector<std::pair<std::string, Tensor>> node_tensors(const graph::Graph& g, int id) {
  std::vector<std::pair<std::string, Tensor>> out;
  const auto& n = g.node(id);
  for (int ref : n.params) out.emplace_back(g.param_refs()[ref].spec.name, g.param(ref));
  for (int ref : n.states) out.emplace_back(g.state_refs()[ref].spec.name, g.state_tensor(ref));
  return out;
}

std::string names_of(const std::vector<std::string>& names) {
  return names.empty() ? "none" : join(names, ", ");
}

// Why the source's tensors cannot fill this node's, or "" when they can.
std::string mismatch(const std::vector<Stored>& from, const std::vector<std::pair<std::string, Tensor>>& to) {
  std::vector<std::string> have, want;
  for (const auto& s : from) have.push_back(s.name);
  for (const auto& [name, t] : to) want.push_back(name);
  std::sort(have.begin(), have.end());
  std::sort(want.begin(), want.end());
  if (have != want)
    return "different tensors: the source has " + names_of(have) + ", this node " + names_of(want);
  for (const auto& [name, t] : to)
    for (const auto& s : from)
      if (s.name == name && s.shape != t.shape())
        return "shape mismatch: " + name + " " + s.shape.str() + " in the source, " + t.shape().str() +
               " here";
  return "";
}

// The source's parameter layouts by node (graph::Op::param_layout), from the model its spec
// builds; only nodes with one are listed.
std::map<std::string, std::string> source_layouts(const io::H5File& f) {
  std::map<std::string, std::string> out;
  if (!f.has_attr("/model", "spec")) return out;
  const auto m =
      model::build_model(model::parse_spec(f.attr_string("/model", "spec"), f.path() + ":/model/spec"));
  for (int id = 0; id < m->graph.node_count(); ++id)
    if (const auto& n = m->graph.node(id); n.op)
      if (auto layout = n.op->param_layout(); !layout.empty()) out[n.name] = std::move(layout);
  return out;
}

std::string file_format(const io::H5File& f) {
  const std::string format = f.has_attr("/", "format") ? f.attr_string("/", "format") : "";
  if (format == "tandem-model") return "model file";
  if (format == "tandem-checkpoint") return "checkpoint";
  throw UsageError(
      "--init-from '" + f.path() +
      "' is neither a tandem model file (final.h5, best.h5) nor a checkpoint (ckpt-STEP.h5): its "
      "root attribute format is '" +
      format + "'; pass a file written by tandem train");
}

}  // namespace

int InitReport::count(InitOutcome::Kind kind) const {
  return static_cast<int>(
      std::count_if(nodes.begin(), nodes.end(), [&](const auto& o) { return o.kind == kind; }));
}

std::vector<std::string> InitReport::lines() const {
  using K = InitOutcome::Kind;
  std::vector<std::string> out{"--init-from " + path + " (" + format +
                               "): " + std::to_string(count(K::kCopied)) + " node(s) copied, " +
                               std::to_string(count(K::kRenamed)) + " renamed, " +
                               std::to_string(count(K::kSkipped)) + " skipped"};
  for (const auto& o : nodes) {
    const std::string who = o.node.empty() ? o.source + " (source)" : o.node;
    switch (o.kind) {
      case K::kCopied: out.push_back("  " + who + ": copied"); break;
      case K::kRenamed: out.push_back("  " + who + ": renamed " + o.source + " -> " + o.node); break;
      case K::kSkipped: out.push_back("  " + who + ": skipped, " + o.reason); break;
    }
  }
  return out;
}

std::map<std::string, std::string> parse_init_map(const std::string& text) {
  std::map<std::string, std::string> to_from;
  for (const auto& entry : split(text, ",")) {
    const auto eq = entry.find('=');
    const std::string from = trim(entry.substr(0, eq)),
                      to = eq == std::string::npos ? "" : trim(entry.substr(eq + 1));
    TANDEM_USAGE_CHECK(eq != std::string::npos && !from.empty() && !to.empty(), "--init-map entry '",
                       trim(entry),
                       "' is not OLD=NEW (a source node = a node of this model), e.g. 'dense_2=head'");
    TANDEM_USAGE_CHECK(to_from.emplace(to, from).second, "--init-map gives node '", to,
                       "' twice; each node of this model takes at most one source node");
  }
  return to_from;
}

InitReport init_from(graph::Graph& g, const std::string& path, const std::string& map_text) {
  io::H5File f(path, io::H5File::Mode::kRead);
  InitReport report;
  report.path = path;
  report.format = file_format(f);
  report.source_preprocess = f.exists("/preprocessing") ? f.attr_string("/preprocessing", "mode") : "none";
  const SourceNodes source = read_source_nodes(f);
  bool any_layout = false;  // build the source's model only when some node here needs its layouts
  for (int id = 0; id < g.node_count(); ++id)
    any_layout = any_layout || (g.node(id).op && !g.node(id).op->param_layout().empty());
  const auto layouts = any_layout ? source_layouts(f) : std::map<std::string, std::string>();
  const auto to_from = parse_init_map(map_text);
  std::vector<std::string> source_names, own_names;
  for (const auto& [name, tensors] : source) source_names.push_back(name);
  for (int id = 0; id < g.node_count(); ++id)
    if (!g.node(id).params.empty() || !g.node(id).states.empty()) own_names.push_back(g.node(id).name);
  for (const auto& [to, from] : to_from) {
    TANDEM_USAGE_CHECK(source.count(from), "--init-map: '", from, "' is not a node of '", path,
                       "' with parameters or state; its nodes are: ", join(source_names, " "));
    TANDEM_USAGE_CHECK(
        std::count(own_names.begin(), own_names.end(), to), "--init-map: '", to,
        "' is not a node of this model with parameters or state; its nodes are: ", join(own_names, " "));
  }
  std::vector<std::string> used;
  for (int id = 0; id < g.node_count(); ++id) {
    const auto& n = g.node(id);
    if (n.params.empty() && n.states.empty()) continue;
    const auto mapped = to_from.find(n.name);
    InitOutcome o{n.name, mapped == to_from.end() ? n.name : mapped->second, InitOutcome::Kind::kSkipped, ""};
    const auto it = source.find(o.source);
    const auto tensors = node_tensors(g, id);
    o.reason = it == source.end() ? "absent in the source" : mismatch(it->second, tensors);
    if (o.reason.empty() && n.op && !n.op->param_layout().empty()) {
      const auto l = layouts.find(o.source);
      const std::string theirs = l == layouts.end() ? "none" : l->second, ours = n.op->param_layout();
      if (theirs != ours)
        o.reason = "different parameter layout: " + theirs + " in the source, " + ours + " here";
    }
    if (o.reason.empty()) {
      for (const auto& [name, t] : tensors)
        for (const auto& s : it->second)
          if (s.name == name) f.read(s.path, t.data());
      o.kind = o.source == o.node ? InitOutcome::Kind::kCopied : InitOutcome::Kind::kRenamed;
    }
    if (it != source.end()) used.push_back(o.source);
    report.nodes.push_back(std::move(o));
  }
  for (const auto& name : source_names)
    if (std::find(used.begin(), used.end(), name) == used.end())
      report.nodes.push_back({"", name, InitOutcome::Kind::kSkipped, "absent in this model"});
  return report;
}

}  // namespace tandem::train
