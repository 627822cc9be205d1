// --shard-optimizer and --grad-dtype bf16 against the plain exchange on the same ranks.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fixture.hpp"
#include "mpi_env.hpp"
#include "tandem/data/sampler.hpp"
#include "tandem/train/trainer.hpp"

namespace tandem {
namespace {

using testing::g_world;
using namespace mpi_fixture;  // NOLINT: the shared fixture

// `steps` global batches of 12 on every rank under configs a and b; their parameters and
// running statistics must differ by at most `tol` (relative) after each step.
void expect_same_training(const train::TrainConfig& a_config, const train::TrainConfig& b_config, int steps,
                          double tol, const std::string& what) {
  train::Trainer a(a_config, *g_world), b(b_config, *g_world);
  data::Sampler sampler(a.train_data().labels(), 12, 3);
  sampler.start_epoch(0);
  for (int64_t s = 0; s < steps; ++s) {
    const auto shard = sampler.shard(s % sampler.batches(), g_world->rank(), g_world->size());
    const std::vector<int64_t> mine(shard.begin(), shard.end());
    a.step(mine, sampler.batch_size(s % sampler.batches()), 0);
    b.step(mine, sampler.batch_size(s % sampler.batches()), 0);
    ASSERT_LE(max_rel_diff(a.model().graph.params(), b.model().graph.params()), tol)
        << what << ": parameters after step " << s + 1 << " on " << g_world->size() << " ranks";
    ASSERT_LE(max_rel_diff(a.model().graph.state(), b.model().graph.state()), tol)
        << what << ": running statistics after step " << s + 1;
  }
}

train::TrainConfig regularized(const Fixture& fx, const std::string& optimizer) {
  auto c = fx.config(12);
  c.optimizer.name = optimizer;
  c.lr = optimizer == "lars" ? 1.0 : 0.05;
  c.optimizer.weight_decay = 1e-3;
  c.optimizer.l1 = 1e-4;
  c.optimizer.trust_coefficient = 0.02;
  c.clip_grad_norm = 0.05;                       // most steps clipped: the global norm must agree too
  c.param_groups = "*.bias:lr_scale=2,adapt=0";  // groups of their own, cut by the pieces' bounds
  c.max_norm = 3.0;
  return c;
}

TEST(Sharding, EveryOptimizerMakesExactlyTheUnshardedUpdates) {
  Fixture fx(kCnnBn);
  for (const char* name :
       {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "lars", "lamb"}) {
    auto plain = regularized(fx, name);
    auto sharded = plain;
    sharded.shard_optimizer = true;
    expect_same_training(plain, sharded, 6, 0.0, name);
  }
}

TEST(Sharding, EachRankHoldsItsPieceOfTheOptimizerState) {
  Fixture fx(kMlp);
  auto c = fx.config(12);
  c.optimizer.name = "adam";
  c.shard_optimizer = true;
  train::Trainer t(c, *g_world);
  const int64_t n = t.model().graph.param_count();
  t.optimizer().prepare_state(n);
  const auto& pieces = t.grad_sync().pieces();
  const int64_t mine = pieces[g_world->rank() + 1] - pieces[g_world->rank()];
  EXPECT_LE(mine, n / g_world->size() + 16);
  for (const auto& s : t.optimizer().state())
    EXPECT_EQ(static_cast<int64_t>(s.data->size()), mine) << s.name << " holds more than this rank's piece";
  int64_t total = mine;
  std::vector<double> all(g_world->size());
  const double d = static_cast<double>(mine);
  g_world->allgather(&d, 1, all.data());
  total = 0;
  for (const double x : all) total += static_cast<int64_t>(x);
  EXPECT_EQ(total, n);
}

TEST(Sharding, Bf16ExchangeShardedEqualsUnsharded) {
  Fixture fx(kCnnBn);
  auto plain = regularized(fx, "lamb");
  plain.grad_dtype = dist::GradDtype::kBf16;
  auto sharded = plain;
  sharded.shard_optimizer = true;
  expect_same_training(plain, sharded, 6, 0.0, "lamb, bf16 exchange");
}

}  // namespace
}  // namespace tandem
