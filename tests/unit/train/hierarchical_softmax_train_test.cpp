// `loss hierarchical_softmax` end to end: the spec line and its options, the class counts the
// trainer writes into it, and one training step (each sample's path only) against the
// gradient of the same loss over all classes (evaluation mode) at the same weights.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <numeric>

#include "../../support/tiny_dataset.hpp"
#include "tandem/core/error.hpp"
#include "tandem/dist/comm.hpp"
#include "tandem/model/model.hpp"
#include "tandem/train/class_counts.hpp"
#include "tandem/train/data_feed.hpp"
#include "tandem/train/evaluate.hpp"
#include "tandem/train/trainer.hpp"

namespace tandem {
namespace {

std::string usage_error(const std::string& text) {
  try {
    model::build_model(model::parse_spec(text, "net.model"));
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(HierarchicalSoftmaxSpec, OptionsRoundTripAndBuildTheTreeOp) {
  const auto spec = model::parse_spec(
      "input 4\nf = dense 6\nloss hierarchical_softmax tree=huffman classes=3 "
      "counts=5,1,2\n",
      "net.model");
  EXPECT_EQ(spec.losses[0].options.at("tree"), "huffman");
  const auto again = model::parse_spec(spec.to_text(), "again");
  EXPECT_EQ(again.losses[0].options, spec.losses[0].options);
  const auto m = model::build_model(again);
  EXPECT_EQ(m->outputs(), 3);  // one log-probability per class
  EXPECT_EQ(m->graph.node(m->output()).name, "f.hierarchical_softmax");
  EXPECT_EQ(m->heads[0].name, "f");
  // dense 4 -> 6 (+ bias), then 2 internal nodes of 6 weights and a bias each.
  EXPECT_EQ(m->graph.param_count(), 4 * 6 + 6 + 2 * 6 + 2);
}

TEST(HierarchicalSoftmaxSpec, MistakesAreNamed) {
  EXPECT_NE(usage_error("input 4\nloss hierarchical_softmax\n").find("needs classes=C"), std::string::npos);
  EXPECT_NE(usage_error("input 4\nloss hierarchical_softmax classes=3 tree=huffman\n").find("class counts"),
            std::string::npos);
  EXPECT_NE(usage_error("input 4\nloss hierarchical_softmax classes=3 tree=huffman counts=1,2\n")
                .find("2 count(s) in counts= but classes=3"),
            std::string::npos);
  EXPECT_NE(
      usage_error("input 4\nloss hierarchical_softmax classes=3 tree=deep\n").find("unknown tree 'deep'"),
      std::string::npos);
  EXPECT_NE(
      usage_error("input 4\nloss hierarchical_softmax classes=3 depth=2\n").find("unknown option 'depth'"),
      std::string::npos);
  EXPECT_NE(usage_error("input 4\ndense 3\nloss softmax_cross_entropy tree=huffman\n")
                .find("unknown loss option 'tree'"),
            std::string::npos);
}

class HierarchicalSoftmaxTraining : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tandem_hsm_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    data_ = (dir_ / "d.h5").string();
    testing::write_tiny_dataset(data_, 10, 4, 3, 9);  // labels i % 3: counts 4, 3, 3
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  // Plain SGD over the whole 10-sample split in one batch, on one thread.
  train::TrainConfig sgd_config() const {
    train::TrainConfig c;
    c.data = data_;
    c.batch_size = 10;
    c.lr = 0.1;
    c.seed = 2;
    c.threads = 1;
    c.optimizer.name = "sgd";
    return c;
  }
  std::filesystem::path dir_;
  std::string data_;
};

TEST_F(HierarchicalSoftmaxTraining, TheTrainerWritesTheTrainingSplitsClassCounts) {
  auto spec = model::parse_spec("input 4\nloss hierarchical_softmax tree=huffman\n", "net.model");
  const auto train = data::Dataset::load(data_, "train");
  train::fill_class_counts(spec, train);
  EXPECT_EQ(spec.losses[0].options.at("classes"), "3");
  EXPECT_EQ(spec.losses[0].options.at("counts"), "4,3,3");
  // The user's counts are never replaced silently; classes= must be a number.
  auto counts_only =
      model::parse_spec("input 4\nloss hierarchical_softmax tree=huffman counts=1,1,8\n", "net.model");
  EXPECT_THROW(train::fill_class_counts(counts_only, train), UsageError);
  auto words =
      model::parse_spec("input 4\nloss hierarchical_softmax tree=huffman classes=abc\n", "net.model");
  try {
    train::fill_class_counts(words, train);
    ADD_FAILURE() << "no UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("option 'classes'"), std::string::npos) << e.what();
  }
  auto balanced = model::parse_spec("input 4\nloss hierarchical_softmax\n", "net.model");
  train::fill_class_counts(balanced, train);
  EXPECT_EQ(balanced.losses[0].options.at("classes"), "3");
  EXPECT_EQ(balanced.losses[0].options.count("counts"), 0u);
}

TEST_F(HierarchicalSoftmaxTraining, AStepOnPathsHasTheGradientOfAllClasses) {
  auto c = sgd_config();
  const auto spec = model::parse_spec(
      "input 4\ndense 5\ntanh\nloss hierarchical_softmax tree=huffman init=xavier_uniform\n", "net.model");
  dist::LocalComm comm;
  train::Trainer trainer(c, comm, spec);
  auto& m = trainer.model();
  // The reference: all classes' log-probabilities, gradient over the whole split in order.
  train::DataFeed feed(m, trainer.train_data(), "train");
  const auto all = train::full_pass(m, feed, 10, 10, comm, true);
  const std::vector<float> reference(m.graph.grads().begin(), m.graph.grads().end());
  std::vector<int64_t> ids(10);
  std::iota(ids.begin(), ids.end(), 0);
  const double loss = trainer.step(ids, 10, 0);
  EXPECT_NEAR(loss, all.loss, 1e-5 * all.loss);  // both summed over the 10 samples
  const auto grads = m.graph.grads();
  ASSERT_EQ(grads.size(), reference.size());
  double scale = 1e-12;
  for (float g : reference) scale = std::max(scale, double{std::abs(g)});
  for (size_t i = 0; i < grads.size(); ++i) EXPECT_NEAR(grads[i], reference[i], 1e-5 * scale) << i;
}

// A frozen head still sends each sample's path gradient down (it runs as in evaluation but
// keeps the labels, since the loss seeds only the sample's own class) and computes none of
// its own: the trainable layers get the all-classes gradient, the tree's weights stay put.
TEST_F(HierarchicalSoftmaxTraining, AFrozenHeadPassesItsPathGradientsDown) {
  auto c = sgd_config();
  c.freeze = "*.hierarchical_softmax";
  const auto spec = model::parse_spec(
      "input 4\nbody = dense 5\ntanh\nloss hierarchical_softmax tree=huffman init=xavier_uniform\n",
      "net.model");
  dist::LocalComm comm;
  train::Trainer trainer(c, comm, spec);
  auto& m = trainer.model();
  const auto& head = m.graph.node(m.output());
  const auto& body = m.graph.node(m.graph.find("body"));
  auto copy = [&](const std::vector<int>& refs, bool grads) {
    std::vector<float> out;
    for (int ref : refs) {
      const auto t = grads ? m.graph.grad(ref) : m.graph.param(ref);
      out.insert(out.end(), t.data(), t.data() + t.numel());
    }
    return out;
  };
  train::DataFeed feed(m, trainer.train_data(), "train");
  train::full_pass(m, feed, 10, 10, comm, true);
  const auto reference = copy(body.params, true);
  const auto head_before = copy(head.params, false);
  std::vector<int64_t> ids(10);
  std::iota(ids.begin(), ids.end(), 0);
  trainer.step(ids, 10, 0);
  const auto grads = copy(body.params, true);
  ASSERT_EQ(grads.size(), reference.size());
  double scale = 1e-12;
  for (float g : reference) scale = std::max(scale, double{std::abs(g)});
  ASSERT_GT(scale, 1e-6);
  for (size_t i = 0; i < grads.size(); ++i) EXPECT_NEAR(grads[i], reference[i], 1e-5 * scale) << i;
  EXPECT_EQ(copy(head.params, false), head_before);
}

}  // namespace
}  // namespace tandem
