// NonfiniteGuard (--on-nonfinite) on a trainer's real graph and optimizer: skip puts back the
// batch-norm statistics a step moved; rollback returns parameters, statistics, optimizer state
// and step count to the last snapshot bitwise and scales the rate; each gives up at its limit;
// abort names the step. The agreement across ranks is tested under mpirun
// (tests/integration/nonfinite_test.sh).
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <numeric>
#include <vector>

#include "../../support/tiny_dataset.hpp"
#include "tandem/dist/comm.hpp"
#include "tandem/train/trainer.hpp"

namespace tandem {
namespace {

std::vector<float> copy(std::span<const float> s) {
  return {s.begin(), s.end()};
}

class Guard : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tandem_guard_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    testing::write_tiny_dataset((dir_ / "d.h5").string(), 64, 6, 3, 7);
    std::ofstream((dir_ / "m.model").string()) << "input 6\ndense 8\nbatchnorm\nrelu\ndense 3\n";
    train::TrainConfig c;
    c.data = (dir_ / "d.h5").string();
    c.model = (dir_ / "m.model").string();
    c.batch_size = 16;
    c.threads = 1;
    c.optimizer.name = "adam";
    c.lr = 0.01;
    trainer_ = std::make_unique<train::Trainer>(c, comm_);
    ids_.resize(16);
    std::iota(ids_.begin(), ids_.end(), 0);
  }
  void TearDown() override {
    trainer_.reset();
    std::filesystem::remove_all(dir_);
  }
  graph::Graph& graph() { return trainer_->model().graph; }
  std::vector<float> optimizer_state() {
    std::vector<float> all;
    for (const auto& s : trainer_->optimizer().state()) all.insert(all.end(), s.data->begin(), s.data->end());
    return all;
  }
  void step() { trainer_->step(ids_, 16, 0); }

  std::filesystem::path dir_;
  dist::LocalComm comm_;
  std::unique_ptr<train::Trainer> trainer_;
  std::vector<int64_t> ids_;
};

TEST_F(Guard, SkipRestoresTheStatisticsTheStepMoved) {
  train::NonfiniteOptions o;
  o.policy = train::OnNonfinite::kSkip;
  o.max_skipped_steps = 2;
  train::NonfiniteGuard guard(o, graph(), trainer_->optimizer());
  step();
  const auto state = copy(graph().state());
  guard.before_step();
  step();  // moves the running statistics (and, here, the parameters: the trainer's own step)
  ASSERT_NE(copy(graph().state()), state);
  EXPECT_NE(guard.bad_step("global step 2 (epoch 1)", "").find("step skipped (1 so far)"), std::string::npos);
  EXPECT_EQ(copy(graph().state()), state);
  EXPECT_EQ(guard.take_epoch_counts().skipped, 1);
  EXPECT_EQ(guard.take_epoch_counts().skipped, 0);
  // Two in a row are allowed, the third is not; a good step starts the count again.
  guard.bad_step("s", "");
  guard.good_step(3);
  guard.bad_step("s", "");
  guard.bad_step("s", "");
  EXPECT_THROW(guard.bad_step("global step 9 (epoch 1)", ""), train::DivergedError);
}

TEST_F(Guard, RollbackReturnsToTheSnapshotBitwiseAndScalesTheRate) {
  train::NonfiniteOptions o;
  o.policy = train::OnNonfinite::kRollback;
  o.rollback_every = 2;
  o.rollback_lr_factor = 0.25;
  o.max_rollbacks = 2;
  train::NonfiniteGuard guard(o, graph(), trainer_->optimizer());
  guard.keep_current_state();
  for (int64_t s = 1; s <= 2; ++s) {
    step();
    guard.good_step(s);  // step 2: the snapshot
  }
  const auto params = copy(graph().params()), state = copy(graph().state()), opt = optimizer_state();
  const auto steps = trainer_->optimizer().steps();
  step();
  guard.good_step(3);  // not a multiple of 2: no snapshot
  step();
  std::fill(graph().params().begin(), graph().params().end(), std::numeric_limits<float>::quiet_NaN());
  const auto line = guard.bad_step("global step 4 (epoch 1)", "");
  EXPECT_NE(line.find("rolled back to the state after optimizer step 2, learning rate x 0.25"),
            std::string::npos)
      << line;
  EXPECT_EQ(copy(graph().params()), params);
  EXPECT_EQ(copy(graph().state()), state);
  EXPECT_EQ(optimizer_state(), opt);
  EXPECT_EQ(trainer_->optimizer().steps(), steps);
  EXPECT_DOUBLE_EQ(guard.lr_scale(), 0.25);
  guard.bad_step("s", "");
  EXPECT_DOUBLE_EQ(guard.lr_scale(), 0.0625);
  EXPECT_THROW(guard.bad_step("s", ""), train::DivergedError);  // a third: --max-rollbacks 2
  // The factor and the totals travel in checkpoints.
  io::TrainProgress p;
  guard.save(p);
  EXPECT_DOUBLE_EQ(p.nonfinite_lr_scale, 0.0625);
  EXPECT_EQ(p.rollbacks, 2);
  train::NonfiniteGuard resumed(o, graph(), trainer_->optimizer());
  resumed.restore(p);
  EXPECT_DOUBLE_EQ(resumed.lr_scale(), 0.0625);
}

TEST_F(Guard, AbortNamesTheStepAndTheFix) {
  train::NonfiniteGuard guard({}, graph(), trainer_->optimizer());
  try {
    guard.bad_step("global step 7 (epoch 2)",
                   "; training row 5 (rank 0's share) has non-finite values in /train/x");
    FAIL() << "abort did not throw";
  } catch (const train::DivergedError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("not finite (nan or inf) at global step 7 (epoch 2); training row 5"), std::string::npos)
        << m;
    EXPECT_NE(m.find("--on-nonfinite skip|rollback"), std::string::npos) << m;
  }
}

TEST_F(Guard, RejectsSettingsOutOfRange) {
  train::NonfiniteOptions o;
  o.rollback_lr_factor = 0;
  EXPECT_THROW(train::NonfiniteGuard(o, graph(), trainer_->optimizer()), UsageError);
  o = {};
  o.max_rollbacks = 0;
  EXPECT_THROW(train::NonfiniteGuard(o, graph(), trainer_->optimizer()), UsageError);
}

}  // namespace
}  // namespace tandem
