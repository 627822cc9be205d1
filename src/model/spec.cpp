#include "tandem/model/spec.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "tandem/core/error.hpp"
#include "tandem/core/strings.hpp"
#include "tandem/ops/losses.hpp"
#include "tandem/ops/registry.hpp"

namespace tandem::model {
namespace {

bool valid_name(const std::string& s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) return false;
  return true;
}

// Ops whose positional arguments are the names of their inputs (add A B).
bool args_are_inputs(const std::string& op) {
  const auto* info = ops::op_registry().find(op);
  return info && info->inputs_as_arguments;
}

// "loss NAME [in=NODE] [weight=W] [target=FIELD]"; the node is resolved once all are read.
LossSpec parse_loss(const NodeSpec& node, const std::string& where) {
  TANDEM_USAGE_CHECK(node.name.empty() && node.args.size() == 1, where,
                     "write a loss as 'loss NAME [in=NODE] [weight=W] [target=FIELD]', e.g. "
                     "'loss softmax_cross_entropy'");
  LossSpec l;
  l.name = node.args[0];
  l.line = node.line;
  for (const auto& [key, value] : node.options) {
    if (key == "in") {
      l.node = value;
    } else if (key == "target") {
      l.target = value;
    } else if (key == "weight") {
      char* end = nullptr;
      l.weight = std::strtod(value.c_str(), &end);
      TANDEM_USAGE_CHECK(end && *end == '\0' && std::isfinite(l.weight) && l.weight >= 0, where,
                         "loss weight must be a number >= 0, got '", value, "'");
    } else {
      const auto* info = ops::loss_registry().find(l.name);
      TANDEM_USAGE_CHECK(info && info->head, where, "unknown loss option '", key,
                         "'; a loss takes in=, weight= and target=",
                         info ? "" : " (and hierarchical_softmax its tree options)");
      l.options[key] = value;
    }
  }
  return l;
}

// Tokens are separated by spaces and tabs and a line's ends are trimmed: another control
// character inside a token would not survive the canonical text (to_text) unchanged.
// `line` starts at column `first` of the file's line.
void check_plain_text(const std::string& line, size_t first, const std::string& where) {
  for (size_t i = 0; i < line.size(); ++i) {
    const auto c = static_cast<unsigned char>(line[i]);
    if ((c >= 0x20 && c != 0x7f) || c == '\t') continue;
    char code[8];
    std::snprintf(code, sizeof code, "0x%02x", c);
    throw UsageError(detail::concat(where, "control character ", code, " in column ", first + i + 1,
                                    "; a model spec is plain text (only spaces and tabs between tokens)"));
  }
}

// The "FILE:LINE: " that starts every message about a line of the spec.
std::string where(const std::string& source, int line) {
  return detail::concat(source, ":", line, ": ");
}

// One line, comment stripped: "NAME = OP ..." or "OP ..." with positional arguments and
// key=value options after the op. Inputs are resolved later, by add_node.
NodeSpec parse_node_line(const std::string& line, int line_no, const std::string& source) {
  NodeSpec node;
  node.line = line_no;
  auto tokens = split(line, " \t");
  // "NAME = OP ..." or "NAME=OP" is a named node; key=value after the op are options.
  if (tokens.size() >= 2 && tokens[1] == "=") {
    node.name = tokens[0];
    tokens.erase(tokens.begin(), tokens.begin() + 2);
  }
  TANDEM_USAGE_CHECK(!tokens.empty(), where(source, line_no), "'", node.name,
                     " =' names a node but gives no op");
  node.op = tokens[0];
  TANDEM_USAGE_CHECK(node.op.find('=') == std::string::npos, where(source, line_no), "expected an op, got '",
                     node.op, "'; a named node is written 'NAME = OP ...' with spaces around '='");
  for (size_t i = 1; i < tokens.size(); ++i) {
    const auto eq = tokens[i].find('=');
    if (eq == std::string::npos) {
      node.args.push_back(tokens[i]);
      continue;
    }
    const std::string key = tokens[i].substr(0, eq), value = tokens[i].substr(eq + 1);
    TANDEM_USAGE_CHECK(!key.empty() && !value.empty(), where(source, line_no), "malformed option '",
                       tokens[i], "'; write KEY=VALUE without spaces");
    TANDEM_USAGE_CHECK(!node.options.count(key), where(source, line_no), "option '", key, "' given twice");
    node.options[key] = value;
  }
  return node;
}

// The node names defined so far, and how many unnamed nodes of each op got a generated name.
struct SpecNames {
  std::set<std::string> defined;
  std::map<std::string, int> counters;
};

// Names the node (generating "OP_N" when it has no name), resolves its inputs against the
// nodes defined above it and appends it to the spec.
void add_node(NodeSpec node, ModelSpec& spec, SpecNames& names) {
  const std::string at = where(spec.source, node.line);
  if (node.name.empty()) node.name = node.op + "_" + std::to_string(++names.counters[node.op]);
  TANDEM_USAGE_CHECK(valid_name(node.name), at, "invalid node name '", node.name,
                     "'; use letters, digits, '_', '-', '.'");
  TANDEM_USAGE_CHECK(!names.defined.count(node.name), at, "node name '", node.name, "' is used twice");
  // Resolve inputs: explicit names must be defined earlier (no cycles by construction).
  std::vector<std::string> wanted;
  if (args_are_inputs(node.op)) {
    wanted = node.args;
    node.args.clear();
  } else if (node.options.count("in")) {
    wanted = split(node.options["in"], ",");
    TANDEM_USAGE_CHECK(!wanted.empty(), at, "in=", node.options["in"],
                       " names no node; write in=NAME or in=A,B");
    node.options.erase("in");
  } else if (node.op != "input") {
    TANDEM_USAGE_CHECK(!spec.nodes.empty(), at, "'", node.op,
                       "' has no input: the first node must be 'input'");
    wanted = {spec.nodes.back().name};
  }
  for (const auto& w : wanted)
    TANDEM_USAGE_CHECK(names.defined.count(w), at, "'", node.op, "' reads '", w,
                       "', which is not defined above this line");
  node.inputs = wanted;
  names.defined.insert(node.name);
  spec.nodes.push_back(std::move(node));
}

}  // namespace

ModelSpec parse_spec(const std::string& text, const std::string& source) {
  ModelSpec spec;
  spec.source = source;
  SpecNames names;
  std::istringstream in(text);
  std::string raw;
  int line_no = 0;
  while (std::getline(in, raw)) {
    ++line_no;
    const auto hash = raw.find('#');
    const std::string code = hash == std::string::npos ? raw : raw.substr(0, hash);
    const std::string line = trim(code);
    if (line.empty()) continue;
    check_plain_text(line, code.find_first_not_of(" \t\r\n"), where(source, line_no));
    NodeSpec node = parse_node_line(line, line_no, source);
    if (node.op == "loss") {
      spec.losses.push_back(parse_loss(node, where(source, line_no)));
      continue;
    }
    add_node(std::move(node), spec, names);
  }
  TANDEM_USAGE_CHECK(!spec.nodes.empty(), source, ": the model spec defines no nodes");
  TANDEM_USAGE_CHECK(spec.nodes.front().op == "input", where(source, spec.nodes.front().line),
                     "the first node must be 'input', got '", spec.nodes.front().op, "'");
  resolve_losses(spec);
  return spec;
}

void resolve_losses(ModelSpec& spec) {
  TANDEM_USAGE_CHECK(!spec.nodes.empty(), spec.source, ": the model spec defines no nodes");
  if (spec.losses.empty()) spec.losses.emplace_back();
  std::set<std::string> names, read, targets;
  for (const auto& n : spec.nodes) names.insert(n.name);
  for (auto& l : spec.losses) {
    const std::string at = l.line ? detail::concat(spec.source, ":", l.line, ": ") : spec.source + ": ";
    if (l.node.empty()) l.node = spec.nodes.back().name;
    TANDEM_USAGE_CHECK(names.count(l.node), at, "loss reads '", l.node,
                       "', which is not a node of the model");
    TANDEM_USAGE_CHECK(read.insert(l.node).second, at, "node '", l.node,
                       "' has two losses; put one loss on each output node");
    if (l.target.empty()) l.target = l.node;
    TANDEM_USAGE_CHECK(targets.insert(l.target).second, at, "two losses read target '", l.target,
                       "'; give each its own target=FIELD");
  }
}

ModelSpec load_spec_file(const std::string& path) {
  std::ifstream f(path);
  TANDEM_USAGE_CHECK(f.good(), "cannot open model spec '", path, "'; check the --model path");
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_spec(ss.str(), path);
}

std::string ModelSpec::to_text() const {
  std::ostringstream out;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const auto& n = nodes[i];
    out << n.name << " = " << n.op;
    const bool follows_previous = i > 0 && n.inputs.size() == 1 && n.inputs[0] == nodes[i - 1].name;
    if (args_are_inputs(n.op)) {
      for (const auto& in : n.inputs) out << ' ' << in;
    }
    for (const auto& a : n.args) out << ' ' << a;
    for (const auto& [k, v] : n.options) out << ' ' << k << '=' << v;
    if (!args_are_inputs(n.op) && n.op != "input" && !follows_previous) out << " in=" << join(n.inputs, ",");
    out << '\n';
  }
  // A single loss on the last node is written as in the original format: "loss NAME".
  const bool plain = losses.size() == 1 && losses[0].node == nodes.back().name &&
                     losses[0].target == losses[0].node && losses[0].weight == 1 && losses[0].options.empty();
  for (const auto& l : losses) {
    out << "loss " << l.name;
    if (plain) continue;
    out << " in=" << l.node;
    if (l.weight != 1) out << " weight=" << format_number(l.weight);
    if (l.target != l.node) out << " target=" << l.target;
    for (const auto& [k, v] : l.options) out << ' ' << k << '=' << v;
    out << '\n';
  }
  if (plain) out << '\n';
  return out.str();
}

}  // namespace tandem::model
