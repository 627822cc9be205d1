// --curriculum on N ranks against one rank: the same epochs of the same easiest samples.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "fixture.hpp"
#include "mpi_env.hpp"
#include "tandem/train/trainer.hpp"

namespace tandem {
namespace {

using testing::g_world;
using namespace mpi_fixture;  // NOLINT: the shared fixture

// Rank 0 writes a difficulty per training sample (70 of them) next to the fixture's data.
std::string write_difficulty(const Fixture& fx) {
  const std::string path = fx.dir() + "/difficulty.h5";
  if (g_world->is_root()) {
    std::vector<float> d(70);
    for (int i = 0; i < 70; ++i) d[i] = static_cast<float>((i * 29) % 17);  // ties included
    io::H5File f(path, io::H5File::Mode::kCreate);
    f.create_group("/train");
    f.write("/train/difficulty", {70}, d.data());
  }
  g_world->barrier();
  return path;
}

TEST(Curriculum, TrainingMatchesOneRankEpochByEpoch) {
  Fixture fx(kMlp);
  auto c = fx.config(16);
  c.difficulty = write_difficulty(fx);
  c.curriculum = {data::CurriculumPace::kLinear, 0.3, 3};
  c.val_split = 0.2;  // the kept rows keep their difficulties
  c.epochs = 4;
  c.schedule.name = "linear";  // decays over the run's steps: the shortened epochs' sum
  c.schedule.final_fraction = 0.1;
  dist::LocalComm local;
  train::Trainer mine(c, *g_world), ref(c, local);
  const auto a = mine.run(), b = ref.run();
  ASSERT_EQ(a.size(), 4u);
  // Steps per epoch: ceil(available / 16), available the sum over classes of ceil(f n_c).
  std::vector<int64_t> sizes(5, 0);
  for (int32_t y : ref.train_data().labels()) ++sizes[y];
  std::vector<int64_t> ends;  // the global step at each epoch's end
  for (int64_t e = 0; e < 4; ++e) {
    const double f = std::min(1.0, 0.3 + 0.7 * static_cast<double>(e) / 3);
    int64_t available = 0;
    for (int64_t n : sizes)
      available += n > 0 ? static_cast<int64_t>(std::ceil(f * static_cast<double>(n) - 1e-9)) : 0;
    ends.push_back((ends.empty() ? 0 : ends.back()) + (available + 15) / 16);
  }
  const double total = static_cast<double>(ends.back());
  for (size_t e = 0; e < a.size(); ++e) {
    EXPECT_EQ(a[e].step, ends[e]) << "epoch " << e;
    EXPECT_EQ(b[e].step, ends[e]) << "epoch " << e;
    const double t = static_cast<double>(ends[e]) / total;  // the rate after the epoch's last step
    EXPECT_NEAR(a[e].lr, c.lr * ((1 - t) + t * 0.1), 1e-12) << "epoch " << e;
    EXPECT_NEAR(a[e].train_loss, b[e].train_loss, 1e-4) << "epoch " << e;
  }
  EXPECT_LE(max_rel_diff(mine.model().graph.params(), ref.model().graph.params()), 1e-4);
}

}  // namespace
}  // namespace tandem
