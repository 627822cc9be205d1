// Computations over the whole training split on N ranks against one rank: the preprocessing
// statistics, full-batch L-BFGS and the Hessian's top eigenvalues.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "fixture.hpp"
#include "mpi_env.hpp"
#include "tandem/core/enum_names.hpp"
#include "tandem/data/preprocess.hpp"
#include "tandem/model/init.hpp"
#include "tandem/model/model.hpp"
#include "tandem/model/spec.hpp"
#include "tandem/train/hessian.hpp"
#include "tandem/train/trainer.hpp"

namespace tandem {
namespace {

using testing::g_world;
using namespace mpi_fixture;  // NOLINT: the shared fixture

// W^T W = U diag(1 / (lambda + eps)) U^T: independent of the eigenvectors' signs.
std::vector<float> gram(const std::vector<float>& w, int64_t d) {
  std::vector<float> g(d * d, 0.0f);
  for (int64_t k = 0; k < d; ++k)
    for (int64_t i = 0; i < d; ++i)
      for (int64_t j = 0; j < d; ++j) g[i * d + j] += w[k * d + i] * w[k * d + j];
  return g;
}

TEST(WholeSplit, PreprocessingStatisticsOnNRanksEqualOneRank) {
  Fixture fx(kMlp);
  const auto train = data::Dataset::load(fx.data(), "train");
  dist::LocalComm local;
  for (const std::string mode :
       {"center", "standardize", "standardize_global", "standardize_channel", "pca_whiten", "zca_whiten"}) {
    SCOPED_TRACE(mode);
    const auto parsed = parse_enum<model::PreprocessMode>(mode, "--preprocess");
    const auto mine = data::fit_preprocessing(train, parsed, 1e-2, *g_world);
    const auto ref = data::fit_preprocessing(train, parsed, 1e-2, local);
    ASSERT_EQ(mine.mean.size(), 64u);
    EXPECT_LE(max_rel_diff(mine.mean, ref.mean), 1e-6);
    EXPECT_LE(max_rel_diff(mine.scale, ref.scale), 1e-6);
    ASSERT_EQ(mine.whiten.size(), ref.whiten.size());
    if (mode == "zca_whiten") {
      EXPECT_LE(max_rel_diff(mine.whiten, ref.whiten), 1e-4);
    } else if (mode == "pca_whiten") {
      EXPECT_LE(max_rel_diff(gram(mine.whiten, 64), gram(ref.whiten, 64)), 1e-4);
    }
  }
}

TEST(WholeSplit, FullBatchLbfgsMatchesOneRank) {
  Fixture fx(kMlp);
  auto c = fx.config(16);
  c.optimizer.name = "lbfgs";
  c.optimizer.weight_decay = 1e-3;
  c.epochs = 6;
  dist::LocalComm local;
  train::Trainer mine(c, *g_world), ref(c, local);
  const auto a = mine.run(), b = ref.run();
  ASSERT_EQ(a.size(), b.size());
  for (size_t e = 0; e < a.size(); ++e)
    EXPECT_NEAR(a[e].train_loss, b[e].train_loss, 1e-5) << "iteration " << e;
  EXPECT_LE(max_rel_diff(mine.model().graph.params(), ref.model().graph.params()), 1e-4);
  EXPECT_LT(a.back().train_loss, a.front().train_loss);
}

TEST(WholeSplit, HessianEigenvaluesOnNRanksEqualOneRank) {
  Fixture fx(kMlp);
  const auto d = data::Dataset::load(fx.data(), "train");
  auto mine = model::build_model(model::parse_spec(kMlp, "mlp"));
  auto ref = model::build_model(model::parse_spec(kMlp, "mlp"));
  model::initialize(mine->graph, 4);
  model::initialize(ref->graph, 4);
  train::HessianOptions o;
  o.samples = 0;
  o.iterations = 12;
  o.chunk = 16;
  dist::LocalComm local;
  const auto a = train::hessian_eigenvalues(*mine, d, o, *g_world);
  const auto b = train::hessian_eigenvalues(*ref, d, o, local);
  ASSERT_EQ(a.eigenvalues.size(), 3u);
  for (size_t i = 0; i < 3; ++i)
    EXPECT_NEAR(a.eigenvalues[i], b.eigenvalues[i], 1e-3 * std::abs(b.eigenvalues[0])) << "eigenvalue " << i;
  EXPECT_NEAR(a.loss, b.loss, 1e-6);
}

}  // namespace
}  // namespace tandem
