// Pre-training and fine-tuning through the trainer: a run started --init-from a saved model
// with --freeze makes zero updates to the frozen nodes (weight decay included) and gives the
// others the gradients an unfrozen run gives; the freeze is stored in the checkpoint, a resumed
// run keeps it and ends bitwise where the uninterrupted one does; --init-from with --resume is
// refused.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <numeric>
#include <vector>

#include "../../support/tiny_dataset.hpp"
#include "tandem/core/error.hpp"
#include "tandem/dist/comm.hpp"
#include "tandem/train/options.hpp"
#include "tandem/train/trainer.hpp"

namespace tandem {
namespace {

class Transfer : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tandem_transfer_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    testing::write_tiny_dataset(path("d.h5"), 64, 6, 3, 5);
    std::ofstream(path("m.model")) << "input 6\ndense 8\ntanh\ndense 8\ntanh\ndense 3\n";
    auto pre = config();
    pre.out = path("pre");
    pre.seed = 9;
    train::Trainer(pre, comm_).run();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  train::TrainConfig config() const {
    train::TrainConfig c;
    c.data = path("d.h5");
    c.model = path("m.model");
    c.batch_size = 16;
    c.epochs = 2;
    c.threads = 1;
    c.lr = 0.1;
    c.optimizer.weight_decay = 0.01;  // would move frozen weights if it applied to them
    c.gns_every = 0;
    return c;
  }
  // The fine-tuning run: from pre/final.h5, dense_1 frozen.
  train::TrainConfig fine_tune() const {
    auto c = config();
    c.init_from = path("pre/final.h5");
    c.freeze = "dense_1";
    return c;
  }
  // dense_1's weight and bias, from the model's arena.
  static std::vector<float> dense_1(train::Trainer& t) {
    std::vector<float> out;
    auto& g = t.model().graph;
    for (size_t i = 0; i < g.param_refs().size(); ++i)
      if (g.param_refs()[i].name.rfind("dense_1.", 0) == 0) {
        const Tensor p = g.param(static_cast<int>(i));
        out.insert(out.end(), p.data(), p.data() + p.numel());
      }
    return out;
  }

  std::filesystem::path dir_;
  dist::LocalComm comm_;
};

TEST_F(Transfer, FrozenNodesGetNoUpdateAndTheOthersTheUnfrozenGradients) {
  auto unfrozen_config = fine_tune();
  unfrozen_config.freeze.clear();
  train::Trainer frozen(fine_tune(), comm_), unfrozen(unfrozen_config, comm_);
  const auto source = dense_1(frozen);
  ASSERT_EQ(source, dense_1(unfrozen));
  ASSERT_TRUE(std::equal(frozen.model().graph.params().begin(), frozen.model().graph.params().end(),
                         unfrozen.model().graph.params().begin()))
      << "both start from the source's parameters";
  std::vector<int64_t> ids(16);
  std::iota(ids.begin(), ids.end(), 0);
  frozen.step(ids, 16, 0);
  unfrozen.step(ids, 16, 0);
  auto& g = frozen.model().graph;
  const auto gf = g.grads(), gu = unfrozen.model().graph.grads();
  for (const auto& ref : g.param_refs())
    for (int64_t i = ref.offset; i < ref.offset + ref.spec.shape.numel(); ++i)
      ASSERT_EQ(gf[i], g.frozen(ref.node) ? 0.0f : gu[i]) << ref.name;
  EXPECT_NE(dense_1(unfrozen), source) << "unfrozen, dense_1 moves";
  for (int s = 0; s < 3; ++s) frozen.step(ids, 16, 0);
  EXPECT_EQ(dense_1(frozen), source) << "frozen: no step, no weight decay";
}

TEST_F(Transfer, ResumeKeepsTheFreezeAndEndsWhereTheUninterruptedRunDoes) {
  auto whole = fine_tune();
  whole.out = path("whole");
  train::Trainer uninterrupted(whole, comm_);
  const auto source = dense_1(uninterrupted);
  uninterrupted.run();
  auto first = fine_tune();
  first.out = path("split");
  first.stop_after_steps = 3;
  train::Trainer(first, comm_).run();
  const std::string ckpt = path("split/ckpt-00000003.h5");
  ASSERT_TRUE(std::filesystem::exists(ckpt));
  const auto resumed_options = train::resolve_options({{"resume", ckpt}});
  EXPECT_EQ(resumed_options.config.freeze, "dense_1") << "stored in the checkpoint";
  EXPECT_EQ(resumed_options.config.init_from, "") << "belongs to the first invocation";
  // Another freeze on resume is refused, as is --init-from (resume would overwrite it).
  EXPECT_THROW(train::resolve_options({{"resume", ckpt}, {"freeze", "dense_2"}}), UsageError);
  auto both = train::resolve_options({{"resume", ckpt}, {"init-from", path("pre/final.h5")}}).config;
  try {
    train::validate(both, 1);
    ADD_FAILURE() << "--init-from with --resume accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--init-from '" + path("pre/final.h5") +
                                         "' and --resume cannot be combined"),
              std::string::npos)
        << e.what();
  }
  train::Trainer resumed(resumed_options.config, comm_);
  EXPECT_TRUE(resumed.model().graph.frozen(resumed.model().graph.find("dense_1")));
  resumed.run();
  EXPECT_EQ(dense_1(resumed), source);
  const auto a = resumed.model().graph.params(), b = uninterrupted.model().graph.params();
  EXPECT_TRUE(std::equal(a.begin(), a.end(), b.begin())) << "bitwise the uninterrupted run";
}

}  // namespace
}  // namespace tandem
