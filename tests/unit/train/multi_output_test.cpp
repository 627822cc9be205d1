// Models with several inputs and several losses: the spec syntax, binding datasets by name,
// the weighted training loss against the losses computed one by one, and its gradient against
// finite differences.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "tandem/core/error.hpp"
#include "tandem/io/h5.hpp"
#include "tandem/model/model.hpp"
#include "tandem/train/data_feed.hpp"
#include "tandem/train/evaluate.hpp"
#include "tandem/train/gradcheck.hpp"

namespace tandem {
namespace {

// Two inputs, two losses; the classifier 'cls' also feeds the tagger, so its gradient has
// a part from its own loss and a part through 'tags'.
constexpr const char* kSpec = R"(
left = input 6
right = input 4
a = dense 5 in=left
b = dense 5 in=right
sum = add a b
t = tanh
cls = dense 3
mix = concat cls t
tags = dense 2
loss softmax_cross_entropy in=cls weight=0.7
loss bce_logits in=tags weight=1.5
)";

constexpr int64_t kN = 10;

class TwoHeads : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tandem_multi_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    for (int64_t i = 0; i < kN * 6; ++i) left_.push_back(std::sin(0.37f * static_cast<float>(i)));
    for (int64_t i = 0; i < kN * 4; ++i) right_.push_back(std::cos(0.53f * static_cast<float>(i)));
    for (int64_t i = 0; i < kN; ++i) cls_.push_back(static_cast<int32_t>(i % 3));
    for (int64_t i = 0; i < kN * 2; ++i) tags_.push_back(i % 3 == 0 ? 1.0f : 0.0f);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes the arrays under the given names; empty names skip an array.
  std::string write(const std::string& name, const std::string& left = "left",
                    const std::string& tags = "tags", bool tags_as_labels = false) {
    const std::string path = (dir_ / name).string();
    io::H5File f(path, io::H5File::Mode::kCreate);
    f.write("/train/x/" + left, {kN, 6}, left_.data());
    f.write("/train/x/right", {kN, 4}, right_.data());
    f.write("/train/y/cls", {kN}, cls_.data());
    if (tags_as_labels)
      f.write("/train/y/" + tags, {kN}, cls_.data());
    else
      f.write("/train/y/" + tags, {kN, 2}, tags_.data());
    return path;
  }

  std::filesystem::path dir_;
  std::vector<float> left_, right_, tags_;
  std::vector<int32_t> cls_;
};

TEST(MultiOutputSpec, LossLinesParseAndPrintBack) {
  const auto spec = model::parse_spec(kSpec, "two.model");
  ASSERT_EQ(spec.losses.size(), 2u);
  EXPECT_EQ(spec.losses[0].node, "cls");
  EXPECT_EQ(spec.losses[0].target, "cls");
  EXPECT_DOUBLE_EQ(spec.losses[0].weight, 0.7);
  EXPECT_EQ(spec.losses[1].name, "bce_logits");
  EXPECT_DOUBLE_EQ(spec.losses[1].weight, 1.5);
  const auto again = model::parse_spec(spec.to_text(), "again");
  EXPECT_EQ(again.to_text(), spec.to_text());
  EXPECT_NE(spec.to_text().find("loss softmax_cross_entropy in=cls weight=0.7\n"), std::string::npos);
  // A single loss on the last node prints as it always did.
  EXPECT_EQ(model::parse_spec("input 3\ndense 2\n", "one").to_text(),
            "input_1 = input 3\ndense_1 = dense 2\nloss softmax_cross_entropy\n");
}

TEST(MultiOutputSpec, BadLossLinesAndUnusedNodesAreRefused) {
  auto refused = [](const std::string& text, const std::string& words) {
    try {
      model::build_model(model::parse_spec(text, "bad.model"));
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
      return;
    }
    ADD_FAILURE() << "accepted: " << text;
  };
  refused("x = input 3\nd = dense 2\nloss mse in=d\nloss l1 in=d\n", "has two losses");
  refused("x = input 3\nd = dense 2\nloss mse in=nowhere\n", "not a node of the model");
  refused("x = input 3\nd = dense 2\nloss mse weight=-1\n", "loss weight must be a number >= 0");
  refused("x = input 3\nd = dense 2\nloss mse scale=2\n", "unknown loss option 'scale'");
  refused("x = input 3\nside = dense 4\nd = dense 2 in=x\n", "'side' is not used");
  refused("x = input 3\ny = input 2\nd = dense 2 in=x\n", "'y' is not used");
}

TEST_F(TwoHeads, TrainingLossIsTheWeightedSumOfTheLosses) {
  auto m = model::build_model(model::parse_spec(kSpec, "two.model"));
  model::initialize(m->graph, 5);
  m->graph.plan(kN);
  const auto d = data::Dataset::load(write("d.h5"), "train");
  ASSERT_EQ(d.inputs().size(), 2u);
  ASSERT_EQ(d.targets().size(), 2u);
  train::DataFeed feed(*m, d, "d.h5");
  feed.load_rows(0, kN);
  graph::RunInfo run;
  m->graph.forward(kN, run);
  std::vector<float> per(kN);
  const double total = feed.loss(kN, 0.0f, false, per.data());

  // Each loss on its own outputs and its own targets from the arrays written above.
  ops::Targets ct, tt;
  ct.labels = cls_.data();
  tt.values = Tensor(tags_.data(), Shape{kN, 2});
  const double ce =
      ops::SoftmaxCrossEntropy().forward_backward(m->graph.value(m->heads[0].node, kN), ct, 0, {});
  const double bce =
      ops::BinaryCrossEntropyLogits().forward_backward(m->graph.value(m->heads[1].node, kN), tt, 0, {});
  EXPECT_NEAR(total, 0.7 * ce + 1.5 * bce, 1e-9 * total);
  double per_sum = 0;
  for (float v : per) per_sum += v;
  EXPECT_NEAR(per_sum, total, 1e-4 * total);
  EXPECT_NEAR(feed.head_sums()[0], ce, 1e-9 * ce);
  EXPECT_NEAR(feed.head_sums()[1], bce, 1e-9 * bce);

  // Inputs reached the right nodes: 'left' row 3 is the file's row 3.
  for (int j = 0; j < 6; ++j)
    EXPECT_EQ(m->graph.value(m->inputs[0].node, kN).data()[3 * 6 + j], left_[3 * 6 + j]);

  // evaluate(): means over the samples.
  dist::LocalComm comm;
  const auto e = train::evaluate(*m, d, comm, kN);
  EXPECT_NEAR(e.loss, total / kN, 1e-6);
  ASSERT_EQ(e.head_loss.size(), 2u);
  EXPECT_NEAR(e.head_loss[1], bce / kN, 1e-6);
}

TEST_F(TwoHeads, GradientOfTheWeightedLossMatchesFiniteDifferences) {
  auto m = model::build_model(model::parse_spec(kSpec, "two.model"));
  model::initialize(m->graph, 7);
  const auto d = data::Dataset::load(write("d.h5"), "train");
  train::GradcheckOptions o;
  o.samples = kN;
  o.directions = 4;
  const auto checks = train::gradient_check(*m, d, o);
  ASSERT_EQ(checks.size(), m->graph.param_refs().size());
  for (const auto& c : checks)
    EXPECT_LT(c.worst_relative, 1e-2) << c.name << ": " << c.backprop << " vs " << c.finite_difference;
}

TEST_F(TwoHeads, DatasetsThatDoNotFitAreRefusedByName) {
  auto m = model::build_model(model::parse_spec(kSpec, "two.model"));
  m->graph.plan(kN);
  auto refused = [&](const std::string& path, const std::string& words) {
    const auto d = data::Dataset::load(path, "train");
    try {
      train::check_compatible(*m, d, "'" + path + "' /train");
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
      return;
    }
    ADD_FAILURE() << path << " accepted";
  };
  refused(write("no_left.h5", "lefty"), "has no /x/left for the model's input 'left'");
  refused(write("no_tags.h5", "left", "tagz"), "has no /y/tags");
  refused(write("int_tags.h5", "left", "tags", true), "holds class indices but loss bce_logits on 'tags'");
  {
    const std::string path = (dir_ / "plain.h5").string();
    io::H5File f(path, io::H5File::Mode::kCreate);
    f.write("/train/x", {kN, 6}, left_.data());
    f.write("/train/y", {kN}, cls_.data());
    refused(path, "has one /x array (/train/x) but the model has 2 inputs");
  }
}

TEST_F(TwoHeads, SubsetsKeepEveryFieldRowByRow) {
  const auto d = data::Dataset::load(write("d.h5"), "train");
  const auto s = d.subset({7, 2});
  ASSERT_EQ(s.size(), 2);
  std::vector<float> right(8), tags(4);
  std::vector<int32_t> cls(2);
  s.input_rows(s.find_input("right"), nullptr, 0, 2, right.data());
  s.target_rows(s.find_target("tags"), nullptr, 0, 2, nullptr, tags.data());
  s.target_rows(s.find_target("cls"), nullptr, 0, 2, cls.data(), nullptr);
  for (int j = 0; j < 4; ++j) EXPECT_EQ(right[j], right_[7 * 4 + j]);
  for (int j = 0; j < 2; ++j) EXPECT_EQ(tags[2 + j], tags_[2 * 2 + j]);
  EXPECT_EQ(cls[0], cls_[7]);
  EXPECT_EQ(s.labels(), (std::vector<int32_t>{cls_[7], cls_[2]}));  // the class-index target
}

}  // namespace
}  // namespace tandem
