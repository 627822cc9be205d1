// The registries: every entry builds, names are unique, unknown names give the list and a
// suggestion, and capabilities are properties of the op or loss.
#include <gtest/gtest.h>

#include <cmath>

#include "tandem/core/error.hpp"
#include "tandem/model/builder.hpp"
#include "tandem/model/model.hpp"
#include "tandem/ops/losses.hpp"
#include "tandem/ops/registry.hpp"
#include "tandem/optim/optimizer.hpp"
#include "tandem/optim/schedule.hpp"

namespace tandem {
namespace {

// A one-node spec for each registered op, in the form its `arguments` column documents.
std::string spec_for(const ops::OpInfo& op) {
  const std::string in = "x = input 4 6 6\n";
  if (op.inputs_as_arguments) return in + "y = relu in=x\nz = " + op.name + " x y\nflatten\ndense 3\n";
  static const std::map<std::string, std::string> args = {
      {"dense", "flatten\ndense 5"}, {"rbf", "flatten\nrbf 5"}, {"conv2d", "conv2d 2"},
      {"maxout", "maxout 2"},        {"maxpool", "maxpool 2"},  {"avgpool", "avgpool 2"},
      {"dropout", "dropout 0.3"}};
  const auto it = args.find(op.name);
  return in + (it != args.end() ? it->second : op.name) + "\nflatten\ndense 3\n";
}

TEST(OpRegistry, EveryOpBuildsFromASpecLine) {
  for (const auto& op : ops::op_registry().entries()) {
    SCOPED_TRACE(op.name);
    EXPECT_FALSE(op.summary.empty());
    auto m = model::build_model(model::parse_spec(spec_for(op), "t.model"));
    EXPECT_GT(m->graph.node_count(), 2);
  }
}

TEST(OpRegistry, UnknownOpsListTheKnownOnesWithFileLineAndASuggestion) {
  try {
    model::build_model(model::parse_spec("input 3\ndensely 4\n", "net.model"));
    FAIL();
  } catch (const UsageError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind("net.model:2: unknown op 'densely'; known ops: input, dense, conv2d", 0), 0u) << msg;
    EXPECT_NE(msg.find("did you mean dense?"), std::string::npos) << msg;
  }
}

TEST(OpRegistry, ErrorsFromAnOpConstructorCarryTheSpecLine) {
  for (const auto* text : {"input 1 6 6\nconv2d 2 kernel=0\nflatten\ndense 2\n",
                           "input 1 6 6\nmaxpool 2 stride=-1\n"
                           "flatten\ndense 2\n",
                           "input 4\ndropout 1.5\ndense 2\n"}) {
    try {
      model::build_model(model::parse_spec(text, "bad.model"));
      ADD_FAILURE() << text;
    } catch (const UsageError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("bad.model:2: ", 0), 0u) << e.what();
    }
  }
}

TEST(OpRegistry, CapabilitiesArePropertiesOfTheOp) {
  auto m = model::build_model(
      model::parse_spec("input 4\nd = dense 4\nb = batchnorm\ndropout 0.5\nrelu\ndense 2\n", "t.model"));
  for (int id = 0; id < m->graph.node_count(); ++id) {
    const auto& n = m->graph.node(id);
    if (n.is_input()) continue;
    EXPECT_EQ(n.op->stochastic_in_training(), n.op->type() == "dropout") << n.name;
    EXPECT_EQ(n.op->uses_batch_statistics(), n.op->type() == "batchnorm") << n.name;
  }
}

TEST(LossRegistry, CapabilitiesAndAliases) {
  EXPECT_EQ(ops::make_loss("cross_entropy")->name(), "softmax_cross_entropy");
  EXPECT_EQ(ops::make_loss("softmax_cross_entropy")->probabilities(), ops::Probabilities::kSoftmax);
  EXPECT_NEAR(*ops::make_loss("softmax_cross_entropy")->untrained_loss(10), std::log(10.0), 1e-15);
  EXPECT_EQ(ops::make_loss("bce_logits")->probabilities(), ops::Probabilities::kSigmoid);
  for (const auto* name : {"mse", "l1", "hinge", "squared_hinge", "bce_logits"})
    EXPECT_FALSE(ops::make_loss(name)->untrained_loss(10).has_value()) << name;
  EXPECT_EQ(ops::make_loss("mse")->probabilities(), ops::Probabilities::kNone);
  try {
    ops::make_loss("hinj");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean hinge?"), std::string::npos) << e.what();
  }
}

TEST(InitializerRegistry, OnlyZerosAndConstantAreConstant) {
  for (const auto& e : model::initializer_registry().entries())
    EXPECT_EQ(e.constant, e.name == "zeros" || e.name == "constant") << e.name;
  EXPECT_EQ(model::initializer_registry().get("glorot_uniform").name, "xavier_uniform");
}

TEST(OptimizerRegistry, EveryOptimizerIsMadeByItsName) {
  for (const auto& e : optim::optimizer_registry().entries()) {
    optim::OptimizerConfig c;
    c.name = e.name;
    EXPECT_EQ(optim::make_optimizer(c)->name(), e.name);
    EXPECT_EQ(e.full_batch, e.name == "lbfgs");
  }
  for (const auto& e : optim::schedule_registry().entries()) {
    optim::ScheduleConfig c;
    c.name = e.name;
    c.total_steps = 10;
    EXPECT_EQ(optim::make_schedule(c)->name(), e.name);
    EXPECT_DOUBLE_EQ(optim::make_schedule(c)->lr(0.5, 0, 0), 0.5) << e.name;  // every schedule starts at eta0
  }
}

}  // namespace
}  // namespace tandem
