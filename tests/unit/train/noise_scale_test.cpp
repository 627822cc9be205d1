// The gradient noise scale (McCandlish et al. 2018, Appendix A.1): the estimator's algebra on
// exact inputs, and on a linear least-squares problem the estimate from the micro-batches of
// --accumulate against |G|^2 and tr(Sigma) computed directly from the per-sample gradients.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "../../support/least_squares.hpp"
#include "tandem/dist/comm.hpp"
#include "tandem/train/trainer.hpp"

namespace tandem {
namespace {

// With the expectations E|G_b|^2 = |G|^2 + tr/b and E|G_B|^2 = |G|^2 + tr/B plugged in, the
// two unbiased estimates give back |G|^2 and tr exactly.
TEST(NoiseScale, EstimatorInvertsTheExpectedNorms) {
  const double g2 = 2.5, tr = 300, b = 16, big = 64;
  train::NoiseScale noise(0.5, 4);
  dist::LocalComm comm;
  for (int step = 0; step < 3; ++step) {
    for (int m = 0; m < 4; ++m) noise.add_small(b, g2 + tr / b);
    noise.end_step(big, g2 + tr / big, comm);
  }
  EXPECT_NEAR(noise.g2(), g2, 1e-12);
  EXPECT_NEAR(noise.trace(), tr, 1e-9);
  EXPECT_NEAR(noise.b_simple(), tr / g2, 1e-9);
  // Small gradients that are the whole batch, or empty, say nothing.
  train::NoiseScale none(0.5, 2);
  none.add_small(64, 1.0);
  none.add_small(0, 0.0);
  none.end_step(64, 1.0, comm);
  EXPECT_FALSE(none.measured());
}

TEST(NoiseScale, MicroBatchEstimateMatchesThePerSampleGradients) {
  const auto dir = std::filesystem::temp_directory_path() / ("tandem_gns_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  testing::LeastSquares problem;
  problem.generate(11);
  problem.write((dir / "d.h5").string(), (dir / "m.model").string());
  train::TrainConfig c;
  c.data = (dir / "d.h5").string();
  c.model = (dir / "m.model").string();
  c.batch_size = 16;  // micro-batches of 16 in steps of 64
  c.accumulate = 4;
  c.epochs = 12;
  c.threads = 1;
  c.param_groups = "*:lr_scale=0";  // frozen weights: every step estimates the same G and Sigma
  c.gns_every = 1;
  c.gns_ema = 0.999;  // ~ the mean over all 768 steps
  dist::LocalComm comm;
  train::Trainer trainer(c, comm);
  trainer.run();
  std::filesystem::remove_all(dir);
  const auto truth = problem.truth(trainer.model().graph.params());
  const auto* noise = trainer.noise_scale();
  ASSERT_NE(noise, nullptr);
  EXPECT_NEAR(noise->g2(), truth.g2, 0.1 * truth.g2);
  EXPECT_NEAR(noise->trace(), truth.trace, 0.1 * truth.trace);
  EXPECT_NEAR(noise->b_simple(), truth.trace / truth.g2, 0.1 * truth.trace / truth.g2);
  // Measured: |G|^2 13.55 vs 13.57, tr(Sigma) 121.5 vs 121.8.
}

}  // namespace
}  // namespace tandem
