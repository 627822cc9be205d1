#include "tandem/model/spec.hpp"

#include <fstream>
#include <set>
#include <sstream>

#include "tandem/core/error.hpp"
#include "tandem/core/strings.hpp"

namespace tandem::model {
namespace {

bool valid_name(const std::string& s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) return false;
  return true;
}

// Ops whose positional arguments are the names of their inputs.
bool args_are_inputs(const std::string& op) {
  return op == "add" || op == "concat" || op == "mul";
}

}  // namespace

ModelSpec parse_spec(const std::string& text, const std::string& source) {
  ModelSpec spec;
  spec.source = source;
  std::set<std::string> names;
  std::map<std::string, int> counters;
  std::istringstream in(text);
  std::string raw;
  int line_no = 0;
  bool have_loss = false;
  auto where = [&](int line) { return detail::concat(source, ":", line, ": "); };
  while (std::getline(in, raw)) {
    ++line_no;
    const auto hash = raw.find('#');
    std::string line = trim(hash == std::string::npos ? raw : raw.substr(0, hash));
    if (line.empty()) continue;
    NodeSpec node;
    node.line = line_no;
    auto tokens = split(line, " \t");
    // "NAME = OP ..." or "NAME=OP" is a named node; key=value after the op are options.
    if (tokens.size() >= 2 && tokens[1] == "=") {
      node.name = tokens[0];
      tokens.erase(tokens.begin(), tokens.begin() + 2);
    }
    TANDEM_USAGE_CHECK(!tokens.empty(), where(line_no), "'", node.name, " =' names a node but gives no op");
    node.op = tokens[0];
    TANDEM_USAGE_CHECK(node.op.find('=') == std::string::npos, where(line_no), "expected an op, got '",
                       node.op, "'; a named node is written 'NAME = OP ...' with spaces around '='");
    for (size_t i = 1; i < tokens.size(); ++i) {
      const auto eq = tokens[i].find('=');
      if (eq == std::string::npos) {
        node.args.push_back(tokens[i]);
        continue;
      }
      const std::string key = tokens[i].substr(0, eq), value = tokens[i].substr(eq + 1);
      TANDEM_USAGE_CHECK(!key.empty() && !value.empty(), where(line_no), "malformed option '", tokens[i],
                         "'; write KEY=VALUE without spaces");
      TANDEM_USAGE_CHECK(!node.options.count(key), where(line_no), "option '", key, "' given twice");
      node.options[key] = value;
    }
    if (node.op == "loss") {
      TANDEM_USAGE_CHECK(node.name.empty() && node.args.size() == 1 && node.options.empty(), where(line_no),
                         "write the loss as 'loss NAME', e.g. 'loss softmax_cross_entropy'");
      TANDEM_USAGE_CHECK(!have_loss, where(line_no), "the loss is given twice");
      spec.loss = node.args[0];
      have_loss = true;
      continue;
    }
    if (node.name.empty()) node.name = node.op + "_" + std::to_string(++counters[node.op]);
    TANDEM_USAGE_CHECK(valid_name(node.name), where(line_no), "invalid node name '", node.name,
                       "'; use letters, digits, '_', '-', '.'");
    TANDEM_USAGE_CHECK(!names.count(node.name), where(line_no), "node name '", node.name, "' is used twice");
    // Resolve inputs: explicit names must be defined earlier (no cycles by construction).
    std::vector<std::string> wanted;
    if (args_are_inputs(node.op)) {
      wanted = node.args;
      node.args.clear();
    } else if (node.options.count("in")) {
      wanted = split(node.options["in"], ",");
      node.options.erase("in");
    } else if (node.op != "input") {
      TANDEM_USAGE_CHECK(!spec.nodes.empty(), where(line_no), "'", node.op,
                         "' has no input: the first node must be 'input'");
      wanted = {spec.nodes.back().name};
    }
    for (const auto& w : wanted)
      TANDEM_USAGE_CHECK(names.count(w), where(line_no), "'", node.op, "' reads '", w,
                         "', which is not defined above this line");
    node.inputs = wanted;
    names.insert(node.name);
    spec.nodes.push_back(std::move(node));
  }
  TANDEM_USAGE_CHECK(!spec.nodes.empty(), source, ": the model spec defines no nodes");
  TANDEM_USAGE_CHECK(spec.nodes.front().op == "input", where(spec.nodes.front().line),
                     "the first node must be 'input', got '", spec.nodes.front().op, "'");
  return spec;
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
  out << "loss " << loss << '\n';
  return out.str();
}

}  // namespace tandem::model
