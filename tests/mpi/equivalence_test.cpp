// N ranks against one rank on the same global batches.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "mpi_env.hpp"
#include "tandem/core/rng.hpp"
#include "tandem/data/sampler.hpp"
#include "tandem/io/h5.hpp"
#include "tandem/train/trainer.hpp"

namespace tandem {
namespace {

using testing::g_world;

// A small random dataset and a model spec, written by rank 0 to a directory all ranks share.
class Fixture {
 public:
  explicit Fixture(const std::string& spec_text) {
    uint64_t pid = static_cast<uint64_t>(::getpid());
    g_world->broadcast(&pid, sizeof pid, 0);
    dir_ = std::filesystem::temp_directory_path() / ("tandem_mpi_" + std::to_string(pid));
    if (g_world->is_root()) {
      std::filesystem::create_directories(dir_);
      Philox rng(5, RngPurpose::kInit);
      const int64_t n = 70, t = 23;
      std::vector<float> x(n * 64), xt(t * 64);
      std::vector<int32_t> y(n), yt(t);
      for (auto& v : x) v = rng.uniform();
      for (auto& v : xt) v = rng.uniform();
      for (auto& v : y) v = static_cast<int32_t>(rng.below(5));
      for (auto& v : yt) v = static_cast<int32_t>(rng.below(5));
      io::H5File f(data(), io::H5File::Mode::kCreate);
      f.write("/train/x", {n, 1, 8, 8}, x.data());
      f.write("/train/y", {n}, y.data());
      f.write("/test/x", {t, 1, 8, 8}, xt.data());
      f.write("/test/y", {t}, yt.data());
      std::ofstream(model()) << spec_text;
    }
    g_world->barrier();
  }
  ~Fixture() {
    g_world->barrier();
    if (g_world->is_root()) std::filesystem::remove_all(dir_);
  }
  std::string data() const { return (dir_ / "data.h5").string(); }
  std::string model() const { return (dir_ / "net.model").string(); }

  train::TrainConfig config(int64_t batch) const {
    train::TrainConfig c;
    c.data = data();
    c.model = model();
    c.batch_size = batch;
    c.lr = 0.1;
    c.seed = 3;
    c.threads = 1;
    c.optimizer.name = "momentum";
    return c;
  }

 private:
  std::filesystem::path dir_;
};

double max_rel_diff(std::span<const float> a, std::span<const float> b) {
  double diff = 0, scale = 1e-12;
  for (size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, std::abs(double{a[i]} - b[i]));
    scale = std::max(scale, std::abs(double{b[i]}));
  }
  return diff / scale;
}

const char* kMlp = "input 1 8 8\nflatten\ndense 16\ntanh\ndense 12\nrelu\ndense 5\n";
const char* kCnnBn =
    "input 1 8 8\nconv2d 4 kernel=3 pad=1\nbatchnorm\nrelu\nmaxpool 2\nflatten\ndense "
    "8\nbatchnorm\nrelu\ndense 5\n";

// Runs `steps` global batches on all ranks and on a one-rank reference, comparing parameters.
void expect_equivalent(const char* spec, int64_t batch, int steps, double tol_first, double tol_last) {
  Fixture fx(spec);
  dist::LocalComm local;
  train::Trainer dist_trainer(fx.config(batch), *g_world);
  train::Trainer reference(fx.config(batch), local);
  ASSERT_EQ(max_rel_diff(dist_trainer.model().graph.params(), reference.model().graph.params()), 0.0);
  data::Sampler sampler(reference.train_data().labels(), batch, 3);
  sampler.start_epoch(0);
  for (int s = 0; s < steps; ++s) {
    const int64_t b = s % sampler.batches();
    const auto mine = sampler.shard(b, g_world->rank(), g_world->size());
    dist_trainer.step(mine, sampler.batch_size(b), 0);
    reference.step(sampler.batch(b), sampler.batch_size(b), 0);
    const double tol = s == 0 ? tol_first : tol_last;
    ASSERT_LE(max_rel_diff(dist_trainer.model().graph.params(), reference.model().graph.params()), tol)
        << "after step " << s + 1 << " on " << g_world->size() << " ranks";
    ASSERT_LE(max_rel_diff(dist_trainer.model().graph.state(), reference.model().graph.state()), tol)
        << "running statistics after step " << s + 1;
  }
}

TEST(Equivalence, OneSgdStepMatchesOneRank) {
  expect_equivalent(kMlp, 16, 1, 1e-5, 1e-5);
}

TEST(Equivalence, UnevenLastBatchMatchesOneRank) {
  // 70 samples in batches of 16: the fifth batch holds 6, so ranks hold unequal slices.
  expect_equivalent(kMlp, 16, 5, 1e-5, 1e-4);
}

TEST(Equivalence, SynchronizedBatchNormCnnMatchesOneRank) {
  expect_equivalent(kCnnBn, 12, 6, 1e-5, 1e-4);
}

TEST(Equivalence, EvaluationIsExactOnAnyNumberOfRanks) {
  Fixture fx(kMlp);
  dist::LocalComm local;
  train::Trainer t(fx.config(16), *g_world);
  auto test = data::Dataset::load(fx.data(), "test");
  t.model().graph.plan(16);
  for (int64_t chunk : {1, 4, 16}) {
    const auto all = train::evaluate(t.model(), test, *g_world, chunk);
    const auto one = train::evaluate(t.model(), test, local, chunk);
    EXPECT_EQ(all.samples, 23);
    EXPECT_NEAR(all.loss, one.loss, 1e-12 + 1e-9 * one.loss);
    EXPECT_EQ(all.accuracy, one.accuracy);
  }
}

}  // namespace
}  // namespace tandem
