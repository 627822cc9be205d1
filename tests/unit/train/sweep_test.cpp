// The sweep's grid and records (train/sweep.hpp): per-optimizer rates, the lines of
// sweep.jsonl read back, and the best run of each batch size.
#include "tandem/train/sweep.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "tandem/core/error.hpp"

namespace tandem::train {
namespace {

TEST(SweepGrid, OneListOfRatesServesEveryOptimizer) {
  SweepGrid grid{{"momentum", "lamb"}, {64, 256, 1024}, parse_sweep_lrs("0.01, 0.1,1")};
  EXPECT_EQ(grid.lrs_for("momentum"), (std::vector<double>{0.01, 0.1, 1}));
  EXPECT_EQ(grid.lrs_for("lamb"), (std::vector<double>{0.01, 0.1, 1}));
  EXPECT_EQ(grid.runs(), 2u * 3u * 3u);
}

TEST(SweepGrid, RatesPerOptimizerWithADefaultForTheRest) {
  SweepGrid grid{
      {"momentum", "lamb", "lars"}, {64, 256}, parse_sweep_lrs("momentum:0.03,0.1;lamb:0.003; 2,5")};
  EXPECT_EQ(grid.lrs_for("momentum"), (std::vector<double>{0.03, 0.1}));
  EXPECT_EQ(grid.lrs_for("lamb"), (std::vector<double>{0.003}));
  EXPECT_EQ(grid.lrs_for("lars"), (std::vector<double>{2, 5}));  // the bare list
  EXPECT_EQ(grid.runs(), 2u * (2u + 1u + 2u));
}

TEST(SweepGrid, AnOptimizerWithoutRatesIsRefusedNamingIt) {
  SweepGrid grid{{"momentum", "lamb"}, {64}, parse_sweep_lrs("momentum:0.1")};
  try {
    grid.lrs_for("lamb");
    FAIL() << "no rates for lamb accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("no learning rates for lamb"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_sweep_lrs("momentum:0.1;momentum:0.2"), UsageError);  // twice
  EXPECT_THROW(parse_sweep_lrs("lamb:"), UsageError);                      // empty group
  EXPECT_THROW(parse_sweep_lrs("0.1,fast"), UsageError);                   // not a number
}

TEST(SweepRecord, ItsLineReadsBackAsTheSameRecord) {
  SweepRecord r;
  r.optimizer = "lamb", r.batch = 4096, r.lr = 0.01, r.scaled_lr = 0.04, r.reached = true;
  r.steps = 123, r.epochs = 9.5, r.samples = 503808, r.seconds = 7.25, r.value = 0.8812;
  r.samples_per_s = 69490, r.gns = 812, r.dir = "out/runs/lamb-b4096-lr0.01";
  const auto back = SweepRecord::parse(r.json());
  EXPECT_EQ(back.key(), "lamb-b4096-lr0.01");
  EXPECT_EQ(back.key(), r.key());
  EXPECT_EQ(back.dir, r.dir);
  EXPECT_DOUBLE_EQ(back.scaled_lr, 0.04);
  EXPECT_TRUE(back.reached);
  EXPECT_FALSE(back.diverged);
  EXPECT_EQ(back.steps, 123);
  EXPECT_EQ(back.samples, 503808);
  EXPECT_DOUBLE_EQ(back.epochs, 9.5);
  EXPECT_DOUBLE_EQ(back.value, 0.8812);
  EXPECT_DOUBLE_EQ(back.gns, 812);
  EXPECT_THROW(SweepRecord::parse("{\"batch\": 64}"), UsageError);
}

SweepRecord run(const char* optimizer, int64_t batch, double lr, bool reached, int64_t steps) {
  SweepRecord r;
  r.optimizer = optimizer, r.batch = batch, r.lr = lr, r.reached = reached, r.steps = steps;
  r.samples = steps * batch;
  return r;
}

TEST(SweepBest, FewestStepsAmongTheRunsThatReachedTheTarget) {
  const auto best = best_per_batch({run("momentum", 64, 0.1, true, 900), run("momentum", 64, 0.3, true, 700),
                                    run("momentum", 64, 1.0, false, 500),
                                    run("momentum", 256, 0.1, false, 400), run("lamb", 64, 0.01, true, 800)});
  ASSERT_EQ(best.size(), 2u);  // batch 256 reached nothing: left out
  std::vector<std::string> keys{best[0].key(), best[1].key()};
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"lamb-b64-lr0.01", "momentum-b64-lr0.3"}));
}

TEST(SweepCriticalBatch, FitRecoversStepsAndSamplesOfTheTradeOff) {
  // S = S_min + E_min/B with S_min 100 steps, E_min 51,200 samples: B_crit 512.
  std::vector<SweepRecord> best;
  for (const int64_t batch : {16, 64, 256, 1024, 4096})
    best.push_back(run("momentum", batch, 0.1, true, static_cast<int64_t>(100 + 51200 / batch)));
  best.push_back(run("momentum", 16384, 0.1, false, 40));  // not reached: not a point
  const auto fit = fit_critical_batch(best);
  ASSERT_TRUE(fit.has_value());
  EXPECT_EQ(fit->points, 5);
  EXPECT_NEAR(fit->s_min, 100, 0.5);  // the steps are whole numbers
  EXPECT_NEAR(fit->e_min, 51200, 50);
  EXPECT_NEAR(fit->b_crit(), 512, 3);
  best.resize(2);
  EXPECT_FALSE(fit_critical_batch(best).has_value());  // two points fit any such curve
  // Steps growing with the batch: no trade-off of this form.
  EXPECT_FALSE(fit_critical_batch({run("sgd", 16, 0.1, true, 100), run("sgd", 64, 0.1, true, 200),
                                   run("sgd", 256, 0.1, true, 400)})
                   .has_value());
}

}  // namespace
}  // namespace tandem::train
