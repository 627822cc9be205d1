// Early stopping, reduce-on-plateau, best tracking and checkpoint intervals on crafted
// sequences, against outcomes worked out by hand.
#include <gtest/gtest.h>

#include <vector>

#include "tandem/core/error.hpp"
#include "tandem/train/callbacks.hpp"
#include "tandem/train/metrics_file.hpp"
#include "tandem/train/progress.hpp"
#include "tandem/train/schedule_every.hpp"

namespace tandem::train {
namespace {

struct Outcome {
  std::vector<int64_t> improved, cut, stopped;  // epochs (1-based)
};

Outcome replay(const std::string& metric, const CallbackConfig& c, const std::vector<double>& values) {
  Monitor m(metric);
  PlateauState s;
  Outcome o;
  for (size_t i = 0; i < values.size(); ++i) {
    const auto epoch = static_cast<int64_t>(i + 1);
    const auto d = after_epoch(m, c, s, epoch, values[i]);
    if (d.improved) o.improved.push_back(epoch);
    if (d.cut_lr) o.cut.push_back(epoch);
    if (d.stop) {
      o.stopped.push_back(epoch);
      break;
    }
  }
  return o;
}

TEST(Callbacks, EarlyStoppingCountsEpochsSinceTheBest) {
  CallbackConfig c;
  c.early_stop_patience = 3;
  // Loss: best at epoch 3 (0.5); epochs 4, 5, 6 no better -> stop at 6.
  const auto o = replay("val_loss", c, {1.0, 0.8, 0.5, 0.6, 0.55, 0.5, 0.4});
  EXPECT_EQ(o.improved, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(o.stopped, (std::vector<int64_t>{6}));
}

TEST(Callbacks, MinDeltaDecidesWhatCountsAsImprovement) {
  CallbackConfig c;
  c.early_stop_patience = 2;
  c.min_delta = 0.05;
  // 0.97 and 0.96 are within 0.05 of 1.0: no improvement -> stop at 3 (0.93 would have counted).
  EXPECT_EQ(replay("val_loss", c, {1.0, 0.97, 0.96, 0.9}).stopped, (std::vector<int64_t>{3}));
  EXPECT_TRUE(replay("val_loss", c, {1.0, 0.97, 0.93, 0.9}).stopped.empty());
  // Accuracy is maximized: 0.62 and 0.64 do not beat 0.6 by more than 0.05; 0.7 does.
  c.early_stop_patience = 0;
  EXPECT_EQ(replay("val_accuracy", c, {0.5, 0.6, 0.62, 0.64, 0.7}).improved, (std::vector<int64_t>{1, 2, 5}));
}

TEST(Callbacks, PlateauCutsEveryPatienceEpochsWithoutImprovement) {
  CallbackConfig c;
  c.plateau_patience = 2;
  // Best 1.0 at epoch 1; epochs 2-3 flat -> cut at 3; 4-5 flat -> cut at 5; epoch 6 improves;
  // 7-8 flat -> cut at 8.
  const auto o = replay("train_loss", c, {1.0, 1.0, 1.1, 1.2, 1.0, 0.9, 0.95, 0.91});
  EXPECT_EQ(o.cut, (std::vector<int64_t>{3, 5, 8}));
  EXPECT_TRUE(o.stopped.empty());
}

TEST(Callbacks, UnknownMonitorIsAUsageError) {
  EXPECT_THROW(Monitor("val_lost"), UsageError);
  EXPECT_TRUE(Monitor("test_loss").minimize());
  EXPECT_FALSE(Monitor("train_accuracy").minimize());
}

TEST(CheckpointEvery, ParsesUnitsAndRefusesNonsense) {
  EXPECT_EQ(parse_every("500steps").unit, Every::Unit::kSteps);
  EXPECT_EQ(parse_every("500steps").amount, 500);
  EXPECT_EQ(parse_every("1 epoch").unit, Every::Unit::kEpochs);
  EXPECT_EQ(parse_every("600s").unit, Every::Unit::kSeconds);
  EXPECT_EQ(parse_every("10min").amount, 600);
  EXPECT_EQ(parse_every("0").unit, Every::Unit::kNever);
  EXPECT_THROW(parse_every("often"), UsageError);
  EXPECT_THROW(parse_every("5 fortnights"), UsageError);
  EXPECT_THROW(parse_every("-1steps"), UsageError);
  EXPECT_THROW(parse_every("0.5steps"), UsageError);  // would be every 0 steps
  EXPECT_EQ(parse_every("2.5s").amount, 2.5);
  for (const auto* text : {"500steps", "1epoch", "3epochs", "600s", "0"})
    EXPECT_EQ(format_every(parse_every(text)), text);
  EXPECT_EQ(format_every(parse_every("10min")), "600s");
}

TEST(MetricsFile, CsvRowsFollowTheHeaderAndLeaveMissingFieldsEmpty) {
  const std::string line =
      "{\"epoch\": 2, \"step\": 86, \"train_loss\": 0.5, \"train_accuracy\": 0.75, \"test_loss\": 0.25, "
      "\"test_accuracy\": 0.875, \"lr\": 0.01, \"seconds\": 1.5, \"samples_per_s\": 1000, \"grad_wait_s\": "
      "0.125}";
  EXPECT_EQ(
      metrics_csv_header(),
      "epoch,step,batch,train_loss,train_accuracy,val_loss,val_accuracy,test_loss,test_accuracy,lr,seconds,"
      "samples_per_s,grad_wait_s,grad_norm,clipped,gns,gns_g2,gns_trace,skipped_steps,rollbacks");
  EXPECT_EQ(metrics_csv_row(line), "2,86,,0.5,0.75,,,0.25,0.875,0.01,1.5,1000,0.125,,,,,,,");
  EXPECT_EQ(parse_metrics_line(line).at("lr"), 0.01);
}

}  // namespace
}  // namespace tandem::train
