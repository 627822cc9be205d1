#include <algorithm>
#include <map>
#include <set>

#include "tandem/core/error.hpp"
#include "tandem/core/strings.hpp"
#include "tandem/model/model.hpp"
#include "tandem/ops/activations.hpp"
#include "tandem/ops/batch_norm.hpp"
#include "tandem/ops/conv.hpp"
#include "tandem/ops/dense.hpp"
#include "tandem/ops/dropout.hpp"
#include "tandem/ops/merge.hpp"
#include "tandem/ops/pool.hpp"
#include "tandem/ops/rbf.hpp"

namespace tandem::model {
namespace {

// Reads a node's arguments and options, and refuses anything it did not consume.
class NodeReader {
 public:
  NodeReader(const NodeSpec& n, const std::string& where) : n_(n), where_(where) {}

  std::string text(const std::string& key, const std::string& fallback) {
    used_.insert(key);
    auto it = n_.options.find(key);
    return it == n_.options.end() ? fallback : it->second;
  }
  int64_t integer(const std::string& key, int64_t fallback) {
    const auto s = text(key, "");
    return s.empty() ? fallback : parse_int(s, where_ + n_.op + " option '" + key + "'");
  }
  double number(const std::string& key, double fallback) {
    const auto s = text(key, "");
    return s.empty() ? fallback : parse_double(s, where_ + n_.op + " option '" + key + "'");
  }
  bool flag(const std::string& key, bool fallback) {
    const auto s = text(key, fallback ? "true" : "false");
    TANDEM_USAGE_CHECK(s == "true" || s == "false", where_, n_.op, " option '", key,
                       "' must be true or false, got '", s, "'");
    return s == "true";
  }
  // "scheme", "constant:V" or "orthogonal:GAIN"
  graph::InitSpec init(const std::string& key, const std::string& fallback) {
    const auto s = text(key, fallback);
    graph::InitSpec spec;
    const auto colon = s.find(':');
    spec.scheme = s.substr(0, colon);
    if (colon != std::string::npos)
      spec.value = parse_double(s.substr(colon + 1), where_ + n_.op + " option '" + key + "'");
    TANDEM_USAGE_CHECK(known_init(spec.scheme), where_, "unknown initializer '", spec.scheme, "' for ", key,
                       "; known: ", known_inits());
    return spec;
  }
  // The positional argument i, or the option of the same meaning, or the fallback.
  int64_t arg_int(size_t i, const std::string& key, int64_t fallback) {
    if (i < n_.args.size()) {
      args_used_ = std::max(args_used_, i + 1);
      return parse_int(n_.args[i], where_ + n_.op + " argument " + std::to_string(i + 1));
    }
    return integer(key, fallback);
  }
  double arg_number(size_t i, const std::string& key, double fallback) {
    if (i < n_.args.size()) {
      args_used_ = std::max(args_used_, i + 1);
      return parse_double(n_.args[i], where_ + n_.op + " argument " + std::to_string(i + 1));
    }
    return number(key, fallback);
  }
  void all_args() { args_used_ = n_.args.size(); }

  void done() {
    TANDEM_USAGE_CHECK(args_used_ >= n_.args.size(), where_, n_.op, " takes at most ", args_used_,
                       " positional argument(s), got ", n_.args.size(), " ('", join(n_.args, " "), "')");
    for (const auto& [k, v] : n_.options)
      TANDEM_USAGE_CHECK(used_.count(k), where_, "unknown option '", k, "' for ", n_.op,
                         "; known: ", known());
  }

 private:
  std::string known() const {
    std::vector<std::string> k(used_.begin(), used_.end());
    k.push_back("in");
    return join(k, ", ");
  }
  const NodeSpec& n_;
  std::string where_;
  std::set<std::string> used_;
  size_t args_used_ = 0;
};

std::unique_ptr<graph::Op> make_op(NodeReader& r, const std::string& op, const BuildOptions& options,
                                   const std::string& where) {
  if (op == "dense") {
    const int64_t units = r.arg_int(0, "units", 0);
    TANDEM_USAGE_CHECK(units > 0, where, "dense needs the number of units, e.g. 'dense 256'");
    return std::make_unique<ops::Dense>(units, r.flag("bias", true), r.init("init", "he_normal"),
                                        r.init("bias_init", "zeros"));
  }
  if (op == "rbf") {
    const int64_t units = r.arg_int(0, "units", 0);
    TANDEM_USAGE_CHECK(units > 0, where, "rbf needs the number of Gaussian units, e.g. 'rbf 64 width=2'");
    return std::make_unique<ops::Rbf>(units, r.init("init", "normal"), r.number("width", 1.0));
  }
  if (op == "conv2d") {
    const int64_t filters = r.arg_int(0, "filters", 0);
    TANDEM_USAGE_CHECK(filters > 0, where, "conv2d needs the number of filters, e.g. 'conv2d 32 kernel=3'");
    return std::make_unique<ops::Conv2d>(filters, r.integer("kernel", 3), r.integer("stride", 1),
                                         r.integer("pad", 0), r.flag("bias", true),
                                         r.init("init", "he_normal"), r.init("bias_init", "zeros"));
  }
  if (op == "maxpool" || op == "avgpool") {
    const int64_t size = r.arg_int(0, "size", 2);
    return std::make_unique<ops::Pool2d>(
        op == "maxpool" ? ops::Pool2d::Kind::kMax : ops::Pool2d::Kind::kAverage, size,
        r.integer("stride", size));
  }
  if (op == "relu") return std::make_unique<ops::Elementwise>(ops::Elementwise::Kind::kRelu);
  if (op == "sigmoid") return std::make_unique<ops::Elementwise>(ops::Elementwise::Kind::kSigmoid);
  if (op == "tanh") return std::make_unique<ops::Elementwise>(ops::Elementwise::Kind::kTanh);
  using Scalar = ops::ScalarActivation;
  if (op == "leaky_relu")
    return std::make_unique<Scalar>(Scalar::Kind::kLeakyRelu, r.arg_number(0, "slope", 0.01));
  if (op == "elu") return std::make_unique<Scalar>(Scalar::Kind::kElu, r.arg_number(0, "alpha", 1.0));
  if (op == "gelu") return std::make_unique<Scalar>(Scalar::Kind::kGelu, 0.0);
  if (op == "softplus") return std::make_unique<Scalar>(Scalar::Kind::kSoftplus, 0.0);
  if (op == "scaled_tanh") return std::make_unique<Scalar>(Scalar::Kind::kScaledTanh, 0.0);
  if (op == "tanh_linear")
    return std::make_unique<Scalar>(Scalar::Kind::kTanhLinear, r.arg_number(0, "b", 0.1));
  if (op == "prelu") {
    const std::string mode = r.text("slopes", "channel");
    TANDEM_USAGE_CHECK(mode == "channel" || mode == "shared", where,
                       "prelu slopes must be 'channel' or 'shared', got '", mode, "'");
    return std::make_unique<ops::PRelu>(mode == "channel", r.number("init", 0.25));
  }
  if (op == "maxout") return std::make_unique<ops::Maxout>(r.arg_int(0, "pieces", 0));
  if (op == "softmax") return std::make_unique<ops::Softmax>(r.integer("axis", -1));
  if (op == "flatten") return std::make_unique<ops::Flatten>();
  if (op == "dropout") return std::make_unique<ops::Dropout>(r.arg_number(0, "rate", 0.5));
  if (op == "batchnorm")
    return std::make_unique<ops::BatchNorm>(options.bn_comm, r.number("momentum", 0.1),
                                            r.number("eps", 1e-5));
  if (op == "add") return std::make_unique<ops::Add>();
  if (op == "concat") return std::make_unique<ops::Concat>();
  if (op == "mul") return std::make_unique<ops::Multiply>();
  throw UsageError(where + "unknown op '" + op +
                   "'; known ops: input, dense, conv2d, maxpool, avgpool, flatten, relu, sigmoid, "
                   "rbf, tanh, leaky_relu, prelu, maxout, elu, gelu, softplus, scaled_tanh, tanh_linear, "
                   "softmax, dropout, "
                   "batchnorm, add, mul, concat (and 'loss NAME')");
}

// Backward starts from the losses: a node that neither feeds another node nor carries a loss
// would have no gradient.
void check_every_node_used(const ModelSpec& spec, const Model& m) {
  std::map<std::string, int> consumers;
  for (const auto& n : spec.nodes)
    for (const auto& in : n.inputs) ++consumers[in];
  for (const auto& n : spec.nodes) {
    const std::string where = n.line ? detail::concat(spec.source, ":", n.line, ": ") : spec.source + ": ";
    const bool head =
        std::any_of(m.heads.begin(), m.heads.end(), [&](const Head& h) { return h.name == n.name; });
    TANDEM_USAGE_CHECK(head || consumers[n.name] > 0, where, "'", n.name,
                       "' is not used: no node reads it and no loss is on it; remove it or add "
                       "'loss NAME in=",
                       n.name, "'");
  }
}

}  // namespace

std::unique_ptr<Model> build_model(const ModelSpec& spec_in, const BuildOptions& options) {
  auto m = std::make_unique<Model>();
  m->spec = spec_in;
  ModelSpec& spec = m->spec;
  resolve_losses(spec);
  for (const auto& n : spec.nodes) {
    const std::string where = n.line ? detail::concat(spec.source, ":", n.line, ": ") : spec.source + ": ";
    NodeReader r(n, where);
    if (n.op == "input") {
      TANDEM_USAGE_CHECK(!n.args.empty(), where, "input needs its per-sample shape, e.g. 'input 1 28 28'");
      std::vector<int64_t> dims;
      for (size_t i = 0; i < n.args.size(); ++i) {
        dims.push_back(r.arg_int(i, "", 0));
        TANDEM_USAGE_CHECK(dims.back() > 0, where, "input extents must be positive, got ", n.args[i]);
      }
      r.done();
      m->inputs.push_back({n.name, m->graph.add_input(n.name, Shape(dims))});
      continue;
    }
    auto op = make_op(r, n.op, options, where);
    r.done();
    std::vector<int> ins;
    for (const auto& name : n.inputs) ins.push_back(m->graph.find(name));
    try {
      m->graph.add_node(n.name, std::move(op), ins);
    } catch (const UsageError& e) {
      throw UsageError(where + e.what());
    }
  }
  std::vector<int> outputs;
  for (const auto& l : spec.losses) {
    Head h;
    h.name = l.node;
    h.target = l.target;
    h.node = m->graph.find(l.node);
    h.loss = ops::make_loss(l.name);
    h.weight = l.weight;
    const std::string where = l.line ? detail::concat(spec.source, ":", l.line, ": ") : spec.source + ": ";
    TANDEM_USAGE_CHECK(m->graph.node(h.node).shape.rank() == 1, where, "the loss on '", l.node,
                       "' needs a vector per sample, got ", m->graph.node(h.node).shape.str(),
                       "; add 'flatten' and 'dense K'");
    outputs.push_back(h.node);
    m->heads.push_back(std::move(h));
  }
  check_every_node_used(spec, *m);
  m->graph.set_outputs(outputs);
  m->graph.finalize();
  return m;
}

}  // namespace tandem::model
