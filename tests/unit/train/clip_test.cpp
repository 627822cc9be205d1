// Global gradient-norm clipping through the trainer's step: with plain SGD a clipped step moves
// the parameters by exactly lr x C, an unclipped one by lr x |g|, and a threshold above the
// norm changes nothing at all.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <vector>

#include "../../support/tiny_dataset.hpp"
#include "tandem/dist/comm.hpp"
#include "tandem/train/trainer.hpp"

namespace tandem {
namespace {

class Clipping : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tandem_clip_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    testing::write_tiny_dataset((dir_ / "d.h5").string(), 48, 6, 3, 5);
    std::ofstream((dir_ / "m.model").string()) << "input 6\ndense 8\ntanh\ndense 3\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // The norm of the parameter change of one step of plain SGD at lr 0.1.
  double step_length(double clip) {
    train::TrainConfig c;
    c.data = (dir_ / "d.h5").string();
    c.model = (dir_ / "m.model").string();
    c.batch_size = 16;
    c.threads = 1;
    c.optimizer.name = "sgd";
    c.lr = 0.1;
    c.clip_grad_norm = clip;
    dist::LocalComm comm;
    train::Trainer t(c, comm);
    std::vector<int64_t> ids(16);
    std::iota(ids.begin(), ids.end(), 0);
    const std::vector<float> before(t.model().graph.params().begin(), t.model().graph.params().end());
    t.step(ids, 16, 0);
    const auto after = t.model().graph.params();
    params_after_.assign(after.begin(), after.end());
    double sq = 0;
    for (size_t i = 0; i < before.size(); ++i) sq += (after[i] - double{before[i]}) * (after[i] - before[i]);
    return std::sqrt(sq);
  }

  std::filesystem::path dir_;
  std::vector<float> params_after_;
};

TEST_F(Clipping, AClippedStepHasLengthRateTimesThreshold) {
  const double free_step = step_length(0);  // lr |g|
  const auto unclipped = params_after_;
  ASSERT_GT(free_step, 0.0);
  const double grad_norm = free_step / 0.1;
  // A threshold above the norm changes nothing, bit for bit.
  step_length(2 * grad_norm);
  EXPECT_EQ(params_after_, unclipped);
  // Below it: the step is lr x C exactly (up to float rounding), along the same direction.
  const double c = grad_norm / 4;
  EXPECT_NEAR(step_length(c), 0.1 * c, 1e-5 * 0.1 * c);
}

}  // namespace
}  // namespace tandem
