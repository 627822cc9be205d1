// --init-from and --freeze on N ranks against one rank: the same copied start on every rank,
// frozen parameters and their running statistics never move, and the others follow the
// one-rank run, with the frozen tail of the gradient arena left out of the exchange (blocking,
// bucketed and sharded).
#include <gtest/gtest.h>

#include <algorithm>

#include "fixture.hpp"
#include "mpi_env.hpp"
#include "tandem/data/sampler.hpp"
#include "tandem/io/model_file.hpp"
#include "tandem/model/init.hpp"
#include "tandem/model/model.hpp"
#include "tandem/model/spec.hpp"
#include "tandem/train/freeze.hpp"
#include "tandem/train/trainer.hpp"

namespace tandem {
namespace {

using testing::g_world;
using namespace mpi_fixture;  // NOLINT: the shared fixture

// The source: the same CNN, initialized with another seed, running statistics moved.
std::string write_source(const Fixture& fx) {
  const std::string path = fx.dir() + "/source.h5";
  if (g_world->is_root()) {
    auto m = model::build_model(model::parse_spec(kCnnBn, "source"));
    model::initialize(m->graph, 77);
    for (size_t i = 0; i < m->graph.state().size(); ++i)
      m->graph.state()[i] = 0.3f + 0.017f * static_cast<float>(i % 50);
    io::save_model(path, *m, {});
  }
  g_world->barrier();
  return path;
}

void expect_frozen_transfer_matches_one_rank(train::TrainConfig c) {
  dist::LocalComm local;
  train::Trainer mine(c, *g_world), ref(c, local);
  auto& g = mine.model().graph;
  const std::vector<float> start(g.params().begin(), g.params().end()),
      state(g.state().begin(), g.state().end());
  ASSERT_EQ(max_rel_diff(g.params(), ref.model().graph.params()), 0.0) << "the same copied start";
  EXPECT_LT(mine.grad_sync().pieces().back(), g.param_count()) << "the frozen tail is not exchanged";
  data::Sampler sampler(ref.train_data().labels(), c.batch_size, c.seed);
  sampler.start_epoch(0);
  for (int64_t b = 0; b < sampler.batches(); ++b) {
    const auto shard = sampler.shard(b, g_world->rank(), g_world->size());
    std::vector<int64_t> ids(shard.begin(), shard.end());
    mine.step(ids, sampler.batch_size(b), 0);
    ref.step(sampler.batch(b), sampler.batch_size(b), 0);
    ASSERT_LE(max_rel_diff(g.params(), ref.model().graph.params()), 1e-5) << "step " << b + 1;
    ASSERT_LE(max_rel_diff(g.state(), ref.model().graph.state()), 1e-5) << "step " << b + 1;
  }
  for (const auto& r : g.param_refs()) {
    const bool moved = !std::equal(start.begin() + r.offset, start.begin() + r.offset + r.spec.shape.numel(),
                                   g.params().begin() + r.offset);
    EXPECT_EQ(moved, !g.frozen(r.node)) << r.name;
  }
  for (const auto& r : g.state_refs()) {
    if (!g.frozen(r.node)) continue;
    EXPECT_TRUE(std::equal(state.begin() + r.offset, state.begin() + r.offset + r.spec.shape.numel(),
                           g.state().begin() + r.offset))
        << r.name << ": frozen batch norm keeps its running statistics";
  }
}

TEST(Transfer, InitFromAndFreezeOnRanksMatchOneRank) {
  Fixture fx(kCnnBn);
  auto c = fx.config(12);
  c.init_from = write_source(fx);
  c.freeze = "conv2d_1,batchnorm_1";
  c.optimizer.weight_decay = 1e-3;
  for (const auto mode : {dist::GradSyncMode::kBlocking, dist::GradSyncMode::kBucketed}) {
    c.grad_sync = mode;
    expect_frozen_transfer_matches_one_rank(c);
  }
  c.grad_sync = dist::GradSyncMode::kBlocking;
  c.shard_optimizer = true;
  expect_frozen_transfer_matches_one_rank(c);
}

// --bn-sync local averages the running statistics over the ranks after each epoch: not those
// of a frozen batch norm, which stay the source's bit for bit on any number of ranks.
TEST(Transfer, FrozenBatchNormStatisticsSurviveTheEpochAverage) {
  Fixture fx(kCnnBn);
  auto c = fx.config(12);
  c.init_from = write_source(fx);
  c.freeze = "conv2d_1,batchnorm_1";
  c.bn_sync = train::BnSync::kLocal;
  c.epochs = 2;
  train::Trainer t(c, *g_world);
  auto& g = t.model().graph;
  const std::vector<float> before(g.state().begin(), g.state().end());
  t.run();
  bool others_moved = false;
  for (const auto& r : g.state_refs()) {
    const bool same = std::equal(before.begin() + r.offset, before.begin() + r.offset + r.spec.shape.numel(),
                                 g.state().begin() + r.offset);
    if (g.frozen(r.node)) {
      EXPECT_TRUE(same) << r.name;
    } else {
      others_moved = others_moved || !same;
    }
  }
  EXPECT_TRUE(others_moved) << "batchnorm_2 trains";
}

}  // namespace
}  // namespace tandem
