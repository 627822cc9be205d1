// --init-from: tensors copied node by node by name (or through --init-map) where names and
// shapes agree, each node's outcome reported, the rest left as initialized; errors name the
// node or file at fault.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "../../support/random_floats.hpp"
#include "tandem/core/error.hpp"
#include "tandem/io/checkpoint.hpp"
#include "tandem/io/h5.hpp"
#include "tandem/io/model_file.hpp"
#include "tandem/model/init.hpp"
#include "tandem/model/model.hpp"
#include "tandem/model/spec.hpp"
#include "tandem/optim/optimizer.hpp"
#include "tandem/train/freeze.hpp"
#include "tandem/train/init_from.hpp"

namespace tandem {
namespace {

using Kind = train::InitOutcome::Kind;

const char* kSource = "input 8\ndense 6\nbatchnorm\nrelu\ndense 4\nrelu\nout = dense 3\n";

std::unique_ptr<model::Model> build(const std::string& spec, uint64_t seed) {
  auto m = model::build_model(model::parse_spec(spec, "test"));
  model::initialize(m->graph, seed);
  return m;
}

// The floats of one node's tensor ("dense_1.weight"), parameter or state.
std::vector<float> tensor(graph::Graph& g, const std::string& name) {
  for (size_t i = 0; i < g.param_refs().size(); ++i)
    if (g.param_refs()[i].name == name) {
      const Tensor t = g.param(static_cast<int>(i));
      return {t.data(), t.data() + t.numel()};
    }
  for (size_t i = 0; i < g.state_refs().size(); ++i)
    if (g.state_refs()[i].name == name) {
      const Tensor t = g.state_tensor(static_cast<int>(i));
      return {t.data(), t.data() + t.numel()};
    }
  ADD_FAILURE() << "no tensor " << name;
  return {};
}

class InitFrom : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tandem_initfrom_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    source_ = build(kSource, 11);
    // Running statistics unlike their initial values, so that copying them shows.
    const auto s = testing::uniform_floats(source_->graph.state().size(), 5, 1, 0.5f, 2.0f);
    std::copy(s.begin(), s.end(), source_->graph.state().begin());
    io::save_model(path("source.h5"), *source_, {});
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  std::filesystem::path dir_;
  std::unique_ptr<model::Model> source_;
};

TEST_F(InitFrom, CopiesMatchingNodesAndSkipsTheOthersWithTheReason) {
  // dense_2 has 5 units here (4 in the source); head is new; the source's out is unused.
  auto m = build("input 8\ndense 6\nbatchnorm\nrelu\ndense 5\nrelu\nhead = dense 3\n", 12);
  const auto own_dense_2 = tensor(m->graph, "dense_2.weight");
  const auto own_head = tensor(m->graph, "head.weight");
  const auto report = train::init_from(m->graph, path("source.h5"), "");
  EXPECT_EQ(report.format, "model file");
  EXPECT_EQ(report.source_preprocess, "none");
  ASSERT_EQ(report.nodes.size(), 5u);
  EXPECT_EQ(report.nodes[0].node, "dense_1");
  EXPECT_EQ(report.nodes[0].kind, Kind::kCopied);
  EXPECT_EQ(report.nodes[1].node, "batchnorm_1");
  EXPECT_EQ(report.nodes[1].kind, Kind::kCopied);
  EXPECT_EQ(report.nodes[2].kind, Kind::kSkipped);
  EXPECT_EQ(report.nodes[2].reason, "shape mismatch: weight [4, 6] in the source, [5, 6] here");
  EXPECT_EQ(report.nodes[3].reason, "absent in the source");
  EXPECT_EQ(report.nodes[4].node, "");
  EXPECT_EQ(report.nodes[4].source, "out");
  EXPECT_EQ(report.nodes[4].reason, "absent in this model");
  for (const char* t : {"dense_1.weight", "dense_1.bias", "batchnorm_1.gamma", "batchnorm_1.beta",
                        "batchnorm_1.running_mean", "batchnorm_1.running_var"})
    EXPECT_EQ(tensor(m->graph, t), tensor(source_->graph, t)) << t << " is copied exactly";
  EXPECT_EQ(tensor(m->graph, "dense_2.weight"), own_dense_2) << "skipped: as initialized";
  EXPECT_EQ(tensor(m->graph, "head.weight"), own_head);
  const auto lines = report.lines();
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[0],
            "--init-from " + path("source.h5") + " (model file): 2 node(s) copied, 0 renamed, 3 skipped");
  EXPECT_EQ(lines[1], "  dense_1: copied");
  EXPECT_EQ(lines[3], "  dense_2: skipped, shape mismatch: weight [4, 6] in the source, [5, 6] here");
  EXPECT_EQ(lines[5], "  out (source): skipped, absent in this model");
}

TEST_F(InitFrom, InitMapRenamesAndACheckpointIsReadAsWell) {
  // A checkpoint of the source model holds the same /params and /state.
  auto opt = optim::make_optimizer({});
  io::save_checkpoint(path("ckpt.h5"), *source_, *opt, {}, {}, {}, {});
  auto m = build("input 8\ndense 6\nbatchnorm\nrelu\ndense 4\nrelu\nhead = dense 3\n", 12);
  const auto report = train::init_from(m->graph, path("ckpt.h5"), "out=head");
  EXPECT_EQ(report.format, "checkpoint");
  EXPECT_EQ(report.count(Kind::kCopied), 3);
  EXPECT_EQ(report.count(Kind::kRenamed), 1);
  EXPECT_EQ(report.count(Kind::kSkipped), 0) << "every source node was taken";
  EXPECT_EQ(report.lines().back(), "  head: renamed out -> head");
  EXPECT_EQ(m->graph.params().size(), source_->graph.params().size());
  EXPECT_TRUE(
      std::equal(m->graph.params().begin(), m->graph.params().end(), source_->graph.params().begin()));
  EXPECT_TRUE(std::equal(m->graph.state().begin(), m->graph.state().end(), source_->graph.state().begin()));
}

TEST_F(InitFrom, BadMapsAndFilesAreRefusedNamingTheProblem) {
  auto m = build(kSource, 12);
  auto refused = [&](const std::string& file, const std::string& map, const std::string& needle) {
    try {
      train::init_from(m->graph, file, map);
      ADD_FAILURE() << "accepted '" << map << "'";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  refused(path("source.h5"), "nope=out", "'nope' is not a node of '" + path("source.h5"));
  refused(path("source.h5"), "out=nowhere", "'nowhere' is not a node of this model");
  refused(path("source.h5"), "out", "is not OLD=NEW");
  refused(path("source.h5"), "out=dense_2,dense_1=dense_2", "gives node 'dense_2' twice");
  {
    io::H5File f(path("data.h5"), io::H5File::Mode::kCreate);
    const float x[2] = {1, 2};
    f.write("/train/x", {2}, x);
  }
  refused(path("data.h5"), "", "is neither a tandem model file");
  EXPECT_THROW(train::init_from(m->graph, path("missing.h5"), ""), Error);
}

// A hierarchical softmax's weight rows are its tree's internal nodes: two trees over the same
// classes have equal shapes but rows that mean different things, so only an equal tree copies.
TEST_F(InitFrom, AClassTreeCopiesOnlyOntoTheSameTree) {
  const std::string body = "input 8\nf = dense 6\nloss hierarchical_softmax classes=4 ";
  const auto balanced = build(body + "tree=balanced\n", 3);
  io::save_model(path("balanced.h5"), *balanced, {});
  const std::string head = "f.hierarchical_softmax";
  auto outcome = [&](const train::InitReport& r) {
    for (const auto& o : r.nodes)
      if (o.node == head) return o;
    ADD_FAILURE() << "no outcome for " << head;
    return train::InitOutcome{};
  };
  auto same = build(body + "tree=balanced\n", 4);
  EXPECT_EQ(outcome(train::init_from(same->graph, path("balanced.h5"), "")).kind, Kind::kCopied);
  EXPECT_EQ(tensor(same->graph, head + ".weight"), tensor(balanced->graph, head + ".weight"));

  // Huffman over counts 8,4,2,1 is a chain; the balanced tree over 4 classes is not.
  auto chain = build(body + "tree=huffman counts=8,4,2,1\n", 4);
  const auto own = tensor(chain->graph, head + ".weight");
  ASSERT_EQ(own.size(), tensor(balanced->graph, head + ".weight").size()) << "shapes agree";
  const auto o = outcome(train::init_from(chain->graph, path("balanced.h5"), ""));
  EXPECT_EQ(o.kind, Kind::kSkipped);
  EXPECT_EQ(o.reason.rfind("different parameter layout: class tree ", 0), 0u) << o.reason;
  EXPECT_EQ(tensor(chain->graph, head + ".weight"), own) << "skipped: as initialized";
  EXPECT_EQ(tensor(chain->graph, "f.weight"), tensor(balanced->graph, "f.weight")) << "the trunk copies";
}

TEST(FreezePatterns, MatchNodesWithParametersAndRefuseWhatMatchesNothing) {
  auto m = build("input 8\ndense 6\nbatchnorm\nrelu\ndense 4\nrelu\nout = dense 3\n", 1);
  const auto& g = m->graph;
  const auto frozen = train::frozen_nodes(g, "dense_*, batchnorm_1", false);
  ASSERT_EQ(frozen.size(), 3u);
  EXPECT_EQ(g.node(frozen[0]).name, "dense_1");
  EXPECT_EQ(g.node(frozen[1]).name, "batchnorm_1");
  EXPECT_EQ(g.node(frozen[2]).name, "dense_2");
  try {
    train::frozen_nodes(g, "conv*", false);
    ADD_FAILURE() << "conv* matched";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("'conv*' matches no node with parameters; they are: dense_1 "
                                         "batchnorm_1 dense_2 out"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(train::frozen_nodes(g, "relu_1", false), UsageError) << "no parameters";
  EXPECT_THROW(train::frozen_nodes(g, "*", false), UsageError) << "nothing left to train";
  // The arena runs from the last node to the first: freezing the first layers leaves a
  // trainable prefix that ends where their parameters begin.
  m->graph.set_frozen(train::frozen_nodes(g, "dense_1,batchnorm_1", false));
  EXPECT_EQ(train::trainable_prefix(g), 3 * 4 + 3 + 4 * 6 + 4);
  m->graph.set_frozen(train::frozen_nodes(g, "out", false));
  EXPECT_EQ(train::trainable_prefix(g), g.param_count()) << "a frozen head: every gradient exchanged";
}

}  // namespace
}  // namespace tandem
