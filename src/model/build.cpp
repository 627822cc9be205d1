#include <algorithm>
#include <map>
#include <set>

#include "tandem/core/error.hpp"
#include "tandem/core/memory.hpp"
#include "tandem/core/strings.hpp"
#include "tandem/model/model.hpp"
#include "tandem/ops/registry.hpp"

namespace tandem::model {
namespace {

std::string where_of(const ModelSpec& spec, int line) {
  return line ? detail::concat(spec.source, ":", line, ": ") : spec.source + ": ";
}

std::string with_where(const std::exception& e, const std::string& where) {
  const std::string what = e.what();
  return what.rfind(where, 0) == 0 ? what : where + what;
}

// A node whose parameters alone (and their gradients) exceed the machine's memory is refused
// at its spec line, before any arena is allocated.
void check_node_fits(const NodeSpec& n, const graph::Op& op, const std::string& where) {
  int64_t floats = 0;
  std::string shapes;
  std::vector<graph::ParamSpec> params;
  try {
    params = op.params();
  } catch (const Error& e) {  // a parameter's shape that overflows
    throw UsageError(with_where(e, where));
  }
  for (const auto& p : params) {
    floats = checked_sum({floats, p.shape.numel()});
    shapes += (shapes.empty() ? "" : ", ") + p.name + " " + p.shape.str();
  }
  const int64_t bytes = checked_product({floats, 2, 4});
  if (floats > 0 && !fits_in_memory(bytes))
    throw_out_of_memory(bytes,
                        detail::concat(where, "'", n.op, n.args.empty() ? "" : " ", join(n.args, " "), "' (",
                                       n.name, ": ", shapes, "): its parameters and their gradients"),
                        "make the layer smaller");
}

// The op of one spec line, from the op registry; errors carry the spec's file and line, also
// those the op's constructor raises.
std::unique_ptr<graph::Op> make_op(const NodeSpec& n, const ops::OpContext& context,
                                   const std::string& where) {
  const auto* info = ops::op_registry().find(n.op);
  if (!info) {
    std::vector<std::string> known{"input"};
    for (const auto& e : ops::op_registry().entries()) known.push_back(e.name);
    const auto guess = closest_match(n.op, known, 2);
    throw UsageError(where + "unknown op '" + n.op + "'; known ops: " + join(known, ", ") +
                     " (and 'loss NAME')" + (guess.empty() ? "" : "; did you mean " + guess + "?"));
  }
  ops::SpecArgs args(n.op, n.args, n.options, where);
  std::unique_ptr<graph::Op> op;
  try {
    op = info->make(args, context);
  } catch (const Error& e) {  // usage checks, and an op's or a kernel's other checks
    throw UsageError(with_where(e, where));
  }
  args.done();
  return op;
}

// "input D1 D2 ...": the per-sample shape.
Shape input_shape(const NodeSpec& n, const std::string& where) {
  TANDEM_USAGE_CHECK(!n.args.empty(), where, "input needs its per-sample shape, e.g. 'input 1 28 28'");
  ops::SpecArgs args("input", n.args, n.options, where);
  std::vector<int64_t> dims;
  for (size_t i = 0; i < n.args.size(); ++i) {
    dims.push_back(args.arg_int(i, "", 0));
    TANDEM_USAGE_CHECK(dims.back() > 0, where, "input extents must be positive, got ", n.args[i]);
  }
  args.done();
  return Shape(dims);
}

// Every parameter's initializer must be registered.
void check_initializers(const graph::Op& op, const std::string& where) {
  for (const auto& p : op.params())
    initializer_registry().get(p.init.scheme, where + "'" + p.name + "' of " + op.type() + ": ");
}

// Backward starts from the losses: a node that neither feeds another node nor carries a loss
// would have no gradient.
void check_every_node_used(const ModelSpec& spec, const Model& m) {
  std::map<std::string, int> consumers;
  for (const auto& n : spec.nodes)
    for (const auto& in : n.inputs) ++consumers[in];
  for (const auto& n : spec.nodes) {
    const bool head =
        std::any_of(m.heads.begin(), m.heads.end(), [&](const Head& h) { return h.name == n.name; });
    TANDEM_USAGE_CHECK(
        head || consumers[n.name] > 0, where_of(spec, n.line), "'", n.name,
        "' is not used: no node reads it and no loss is on it; remove it or add 'loss NAME in=", n.name, "'");
  }
}

// The op of a loss that owns parameters (LossInfo::head), on the loss's node: "NODE.LOSS".
int add_loss_head(Model& m, const LossSpec& l, const ops::LossInfo& info, const ops::OpContext& context,
                  const std::string& where) {
  const std::string name = l.node + "." + info.name;
  TANDEM_USAGE_CHECK(m.graph.find(name) < 0, where, "a node is already called '", name,
                     "'; rename it (the loss ", info.name, " adds a node of that name)");
  ops::SpecArgs args("loss " + info.name, {}, l.options, where);
  std::unique_ptr<graph::Op> op;
  try {
    op = info.head(args, context);
  } catch (const Error& e) {
    throw UsageError(with_where(e, where));
  }
  args.done();
  check_initializers(*op, where);
  int id = -1;
  try {
    id = m.graph.add_node(name, std::move(op), {m.graph.find(l.node)});
  } catch (const Error& e) {
    throw UsageError(with_where(e, where));
  }
  NodeSpec n;
  n.name = name;
  n.op = "loss " + info.name;
  check_node_fits(n, *m.graph.node(id).op, where);
  return id;
}

}  // namespace

std::unique_ptr<Model> build_model(const ModelSpec& spec_in, const BuildOptions& options) {
  auto m = std::make_unique<Model>();
  m->spec = spec_in;
  ModelSpec& spec = m->spec;
  resolve_losses(spec);
  const ops::OpContext context{options.bn_comm, options.precision};
  for (const auto& n : spec.nodes) {
    const std::string where = where_of(spec, n.line);
    if (n.op == "input") {
      m->inputs.push_back({n.name, m->graph.add_input(n.name, input_shape(n, where))});
      continue;
    }
    auto op = make_op(n, context, where);
    check_initializers(*op, where);
    std::vector<int> ins;
    for (const auto& name : n.inputs) ins.push_back(m->graph.find(name));
    int id = -1;
    try {
      id = m->graph.add_node(n.name, std::move(op), ins);
    } catch (const Error& e) {  // shapes that do not fit, or that overflow
      throw UsageError(with_where(e, where));
    }
    check_node_fits(n, *m->graph.node(id).op, where);
  }
  std::vector<int> outputs;
  for (const auto& l : spec.losses) {
    Head h;
    h.name = l.node;
    h.target = l.target;
    h.node = m->graph.find(l.node);
    const std::string where = where_of(spec, l.line);
    const auto& info = ops::loss_registry().get(l.name, where);
    h.loss = info.make();
    h.weight = l.weight;
    if (info.head) h.node = add_loss_head(*m, l, info, context, where);
    TANDEM_USAGE_CHECK(m->graph.node(h.node).shape.rank() == 1, where, "the loss on '", l.node,
                       "' needs a vector per sample, got ", m->graph.node(h.node).shape.str(),
                       "; add 'flatten' and 'dense K'");
    outputs.push_back(h.node);
    m->heads.push_back(std::move(h));
  }
  check_every_node_used(spec, *m);
  m->graph.set_outputs(outputs);
  m->graph.set_fusion(options.fuse);
  m->graph.set_blocked_layouts(options.blocked_layouts);
  m->graph.finalize();
  return m;
}

}  // namespace tandem::model
