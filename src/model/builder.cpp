#include "tandem/model/builder.hpp"

#include <sstream>

#include "tandem/core/error.hpp"
#include "tandem/core/strings.hpp"

namespace tandem::model {
namespace {
std::string num(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}
}  // namespace

std::string ModelBuilder::node(const std::string& op, std::vector<std::string> args, Options opts,
                               std::vector<std::string> inputs, const std::string& name) {
  NodeSpec n;
  n.op = op;
  n.name = name.empty() ? op + "_" + std::to_string(++counters_[op]) : name;
  if (inputs.empty() && opts.count("in")) inputs = split(opts["in"], ",");
  opts.erase("in");
  if (inputs.empty() && op != "input") {
    TANDEM_USAGE_CHECK(!spec_.nodes.empty(), "builder: '", op, "' has no input; add an input first");
    inputs = {spec_.nodes.back().name};
  }
  for (const auto& in : inputs) {
    bool found = false;
    for (const auto& prev : spec_.nodes) found = found || prev.name == in;
    TANDEM_USAGE_CHECK(found, "builder: '", n.name, "' reads unknown node '", in, "'");
  }
  for (const auto& prev : spec_.nodes)
    TANDEM_USAGE_CHECK(prev.name != n.name, "builder: node name '", n.name, "' is used twice");
  n.args = std::move(args);
  n.options = std::move(opts);
  n.inputs = std::move(inputs);
  spec_.nodes.push_back(std::move(n));
  return spec_.nodes.back().name;
}

std::string ModelBuilder::input(const std::vector<int64_t>& shape, const std::string& name) {
  std::vector<std::string> args;
  for (auto d : shape) args.push_back(std::to_string(d));
  return node("input", args, {}, {}, name);
}

std::string ModelBuilder::dense(int64_t units, Options opts, const std::string& name) {
  return node("dense", {std::to_string(units)}, std::move(opts), {}, name);
}
std::string ModelBuilder::conv2d(int64_t filters, Options opts, const std::string& name) {
  return node("conv2d", {std::to_string(filters)}, std::move(opts), {}, name);
}
std::string ModelBuilder::maxpool(int64_t size, Options opts, const std::string& name) {
  return node("maxpool", {std::to_string(size)}, std::move(opts), {}, name);
}
std::string ModelBuilder::avgpool(int64_t size, Options opts, const std::string& name) {
  return node("avgpool", {std::to_string(size)}, std::move(opts), {}, name);
}
std::string ModelBuilder::batchnorm(Options opts, const std::string& name) {
  return node("batchnorm", {}, std::move(opts), {}, name);
}
std::string ModelBuilder::dropout(double rate, Options opts, const std::string& name) {
  return node("dropout", {num(rate)}, std::move(opts), {}, name);
}
std::string ModelBuilder::activation(const std::string& op, Options opts, const std::string& name) {
  return node(op, {}, std::move(opts), {}, name);
}
std::string ModelBuilder::flatten(Options opts, const std::string& name) {
  return node("flatten", {}, std::move(opts), {}, name);
}
std::string ModelBuilder::add(const std::vector<std::string>& inputs, const std::string& name) {
  return node("add", {}, {}, inputs, name);
}
std::string ModelBuilder::concat(const std::vector<std::string>& inputs, const std::string& name) {
  return node("concat", {}, {}, inputs, name);
}

ModelBuilder& ModelBuilder::loss(const std::string& name, const std::string& node, double weight,
                                 const std::string& target) {
  LossSpec l;
  l.name = name;
  l.node = node;
  l.weight = weight;
  l.target = target;
  spec_.losses.push_back(l);
  return *this;
}

}  // namespace tandem::model
