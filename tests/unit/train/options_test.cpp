// The option table of tandem train: defaults written as a person writes them, text round
// trips, typed parsing with messages naming the option, validation, and the resume rules.
#include <gtest/gtest.h>

#include <filesystem>

#include <unistd.h>

#include "tandem/core/error.hpp"
#include "tandem/core/strings.hpp"
#include "tandem/io/checkpoint.hpp"
#include "tandem/model/builder.hpp"
#include "tandem/train/options.hpp"
#include "tandem/train/target.hpp"

namespace tandem::train {
namespace {

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no UsageError)";
}

TEST(FormatNumber, ShortestTextThatReadsBack) {
  EXPECT_EQ(format_number(0.05), "0.05");
  EXPECT_EQ(format_number(1e-5), "1e-5");
  EXPECT_EQ(format_number(1e-8), "1e-8");
  EXPECT_EQ(format_number(0.999), "0.999");
  EXPECT_EQ(format_number(10), "10");
  EXPECT_EQ(format_number(-2.5), "-2.5");
  EXPECT_EQ(format_number(1e20), "1e20");
  EXPECT_EQ(format_number(0.1 + 0.2), "0.30000000000000004");  // not 0.3: it must read back exactly
  for (double v : {0.05, 1e-5, 0.1 + 0.2, 123456.789, 6.02e23, -1e-300})
    EXPECT_EQ(std::stod(format_number(v)), v) << format_number(v);
}

TEST(TrainOptions, HelpShowsDefaultsAsWritten) {
  // The values the issue found printed as 0.050000000000000003 and the like.
  EXPECT_EQ(find_train_option("lr")->default_text(), "0.05");
  EXPECT_EQ(find_train_option("momentum")->default_text(), "0.9");
  EXPECT_EQ(find_train_option("beta1")->default_text(), "0.9");
  EXPECT_EQ(find_train_option("lbfgs-tol")->default_text(), "1e-5");
  EXPECT_EQ(find_train_option("adam-eps")->default_text(), "1e-8");
  EXPECT_EQ(find_train_option("optimizer")->default_text(), "momentum");
  EXPECT_EQ(find_train_option("grad-sync")->default_text(), "auto");
  EXPECT_EQ(find_train_option("checkpoint-every")->default_text(), "1epoch");
  EXPECT_EQ(find_train_option("drop-last")->default_text(), "false");
}

TEST(TrainOptions, EveryOptionReadsBackItsOwnText) {
  TrainConfig c;
  for (const auto& o : train_options()) {
    const auto text = o.get(c);
    TrainConfig d;
    if (!text.empty()) o.set(d, text);
    EXPECT_EQ(o.get(d), text) << "--" << o.name;
  }
  EXPECT_EQ(find_train_option("no-such-option"), nullptr);
}

TEST(TrainOptions, TextIsParsedIntoTypedFields) {
  TrainConfig c;
  apply_options(c, {{"lr", "5e-2"},
                    {"grad-sync", "bucketed"},
                    {"bn-sync", "local"},
                    {"monitor", "val_accuracy"},
                    {"preprocess", "zca_whiten"},
                    {"checkpoint-every", "10min"},
                    {"drop-last", "true"},
                    {"seed", "18446744073709551615"},
                    {"optimizer", "adam"}});
  EXPECT_EQ(c.lr, 0.05);
  EXPECT_EQ(c.grad_sync, dist::GradSyncMode::kBucketed);
  EXPECT_EQ(c.bn_sync, BnSync::kLocal);
  EXPECT_EQ(c.monitor, Metric::kValAccuracy);
  EXPECT_EQ(c.preprocess, model::PreprocessMode::kZcaWhiten);
  EXPECT_EQ(c.checkpoint_every.unit, Every::Unit::kSeconds);
  EXPECT_EQ(c.checkpoint_every.amount, 600);
  EXPECT_TRUE(c.drop_last);
  EXPECT_EQ(c.seed, 18446744073709551615ull);
  EXPECT_EQ(c.optimizer.name, "adam");
  EXPECT_EQ(option_texts(c).at("checkpoint-every"), "600s");
}

TEST(TrainOptions, BadTextNamesTheOptionAndTheChoices) {
  TrainConfig c;
  EXPECT_EQ(message_of([&] {
              apply_options(c, {{"bn-sync", "none"}});
            }),
            "unknown --bn-sync 'none'; use global or local");
  EXPECT_EQ(message_of([&] {
              apply_options(c, {{"grad-sync", "fast"}});
            }),
            "unknown --grad-sync 'fast'; use auto, blocking or bucketed");
  EXPECT_EQ(message_of([&] {
              apply_options(c, {{"epochs", "ten"}});
            }),
            "--epochs: expected an integer, got 'ten'");
  EXPECT_EQ(message_of([&] {
              apply_options(c, {{"epoch", "3"}});
            }),
            "unknown option --epoch; did you mean --epochs?");
  EXPECT_NE(message_of([&] { apply_options(c, {{"seed", "-1"}}); }).find("--seed"), std::string::npos);
}

TEST(TrainConfigValidate, OneMessagePerBadValue) {
  const std::vector<std::pair<std::function<void(TrainConfig&)>, std::string>> cases = {
      {[](TrainConfig& c) { c.batch_size = 0; }, "--batch-size must be positive"},
      {[](TrainConfig& c) { c.batch_size = 1; }, "smaller than the number of ranks (2)"},
      {[](TrainConfig& c) { c.lr = -0.1; }, "--lr must be positive"},
      {[](TrainConfig& c) { c.accumulate = 0; }, "--accumulate must be >= 1"},
      {[](TrainConfig& c) { c.val_split = 1; }, "--val-split must be in [0, 1)"},
      {[](TrainConfig& c) { c.optimizer.name = "adamm"; }, "unknown optimizer 'adamm'"},
      {[](TrainConfig& c) { c.optimizer.name = "adamm"; }, "did you mean adam"},
      {[](TrainConfig& c) { c.optimizer.rho = 1; }, "--rho must be in (0, 1)"},
      {[](TrainConfig& c) { c.schedule.name = "warm"; }, "unknown learning-rate schedule 'warm'"},
      {[](TrainConfig& c) { c.schedule.gamma = 0; }, "--lr-gamma must be positive"},
      {[](TrainConfig& c) { c.augment = "flop"; }, "flop"},
      {[](TrainConfig& c) { c.param_groups = "*.bias"; }, "needs PATTERN:key=value"},
      {[](TrainConfig& c) { c.plateau_factor = 1; }, "--plateau-factor must be in (0, 1)"},
      {[](TrainConfig& c) { c.keep_last = 0; }, "--keep-last must be >= 1"},
      {[](TrainConfig& c) { c.hard_examples = 2; }, "--hard-examples must be in [0, 1]"},
      {[](TrainConfig& c) { c.data.clear(); }, "no dataset given"},
  };
  for (const auto& [breaks, fragment] : cases) {
    TrainConfig c;
    c.data = "d.h5";
    c.model = "m.model";
    EXPECT_NO_THROW(validate(c, 2));
    breaks(c);
    const auto msg = message_of([&] { validate(c, 2); });
    EXPECT_NE(msg.find(fragment), std::string::npos) << "'" << msg << "' lacks '" << fragment << "'";
  }
}

class ResumeOptions : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() / ("tandem_opts_" + std::to_string(::getpid()) + ".h5"))
                .string();
    model::ModelBuilder b;
    b.input({4});
    b.dense(2);
    auto m = model::build_model(b.spec());
    auto opt = optim::make_optimizer({});
    TrainConfig stored;
    stored.data = "d.h5";
    stored.lr = 0.02;
    stored.batch_size = 64;
    stored.stop_after_steps = 40;
    auto texts = option_texts(stored);
    texts["lr"] = "0.020000000000000000";  // older tandems wrote 17 digits
    texts.erase("keep-last");              // and lacked options added since: their default applies
    io::save_checkpoint(path_, *m, *opt, texts, {}, {}, {});
  }
  void TearDown() override { std::filesystem::remove(path_); }
  std::string path_;
};

TEST_F(ResumeOptions, StoredOptionsReplaceTheDefaults) {
  const auto r = resolve_options({{"resume", path_}});
  EXPECT_EQ(r.config.batch_size, 64);
  EXPECT_EQ(r.config.lr, 0.02);
  EXPECT_EQ(r.config.data, "d.h5");
  EXPECT_EQ(r.config.keep_last, 2);
  EXPECT_EQ(r.config.stop_after_steps, 0);  // belongs to the invocation that stopped
  EXPECT_TRUE(r.changes.empty());
}

TEST_F(ResumeOptions, ChangeableOptionsAreReportedAndOthersRefusedTogether) {
  auto r = resolve_options({{"resume", path_}, {"lr", "0.005"}, {"epochs", "4"}, {"batch-size", "64"}});
  EXPECT_EQ(r.config.lr, 0.005);
  EXPECT_EQ(r.changes, (std::vector<std::string>{"--epochs: 10 -> 4", "--lr: 0.02 -> 0.005"}));
  const auto msg = message_of([&] {
    resolve_options({{"resume", path_}, {"batch-size", "32"}, {"seed", "5"}});
  });
  EXPECT_NE(msg.find("--batch-size (checkpoint 64, now 32)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--seed (checkpoint 0, now 5)"), std::string::npos) << msg;
  // The same value in another spelling is no change.
  EXPECT_TRUE(resolve_options({{"resume", path_}, {"lr", "2e-2"}}).changes.empty());
}

}  // namespace
}  // namespace tandem::train

namespace tandem::train {
namespace {

TEST(BatchSchedule, ParsedPrintedAndLookedUpByEpoch) {
  const auto s = parse_batch_schedule("0:256, 10:1024,20:4096");
  ASSERT_EQ(s.entries.size(), 3u);
  EXPECT_EQ(format_batch_schedule(s), "0:256,10:1024,20:4096");
  EXPECT_EQ(s.batch_at(0, 128), 256);
  EXPECT_EQ(s.batch_at(9, 128), 256);
  EXPECT_EQ(s.batch_at(10, 128), 1024);
  EXPECT_EQ(s.batch_at(99, 128), 4096);
  EXPECT_EQ(parse_batch_schedule("5:512").batch_at(4, 128), 128);  // before the first entry: --batch-size
  EXPECT_TRUE(parse_batch_schedule("").empty());
  EXPECT_THROW(parse_batch_schedule("0:256,0:512"), UsageError);  // epochs must increase
  EXPECT_THROW(parse_batch_schedule("0-256"), UsageError);
  EXPECT_THROW(parse_batch_schedule("0:0"), UsageError);
  TrainConfig c;
  c.data = "d.h5";
  c.batch_schedule = parse_batch_schedule("0:2,3:64");
  EXPECT_THROW(validate(c, 4), UsageError);  // 2 samples for 4 ranks
  c.batch_schedule = parse_batch_schedule("0:64");
  c.accumulate = 2;
  EXPECT_THROW(validate(c, 4), UsageError);  // the schedule sets the whole batch
}

}  // namespace
}  // namespace tandem::train

namespace tandem::train {
namespace {

// Steps to a target are known within 5%: met after check s and by the next one s', it was met
// at a step t >= s + 1, and s' <= 1.05 t; there are few checks (logarithmic in the steps).
TEST(TargetWatch, ChecksAreAtMostFivePercentApart) {
  TargetWatch watch(parse_target("val_accuracy=0.88"));
  int64_t previous = 0, checks = 0;
  for (int64_t step = 1; step <= 100000; ++step) {
    if (!watch.due(step)) continue;
    ++checks;
    EXPECT_LE(static_cast<double>(step), 1.05 * static_cast<double>(previous + 1) + 1e-9) << step;
    previous = step;
  }
  EXPECT_LT(checks, 300);
  EXPECT_TRUE(watch.reached(0.88));
  EXPECT_FALSE(watch.reached(0.879));
  EXPECT_TRUE(TargetWatch(parse_target("val_loss=0.3")).reached(0.3));
  EXPECT_FALSE(TargetWatch(parse_target("val_loss=0.3")).reached(0.31));
  EXPECT_EQ(format_target(parse_target("test_accuracy=9e-1")), "test_accuracy=0.9");
  EXPECT_THROW(parse_target("train_loss=0.1"), UsageError);  // a running mean, not a measurement
  EXPECT_THROW(parse_target("val_accuracy"), UsageError);
}

}  // namespace
}  // namespace tandem::train
