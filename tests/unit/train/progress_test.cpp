// Rank 0's progress bar (its text, fitted to the terminal's width) and how `--resume DIR`
// finds the newest checkpoint of a run directory.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "tandem/core/error.hpp"
#include "tandem/train/progress.hpp"
#include "tandem/train/run_directory.hpp"

namespace tandem::train {
namespace {

namespace fs = std::filesystem;

TEST(Progress, BarShowsEpochStepsRateLossAndEta) {
  const auto b = ProgressDisplay::bar(2, 10, 50, 100, 1234.4, 0.5, 125, 10);
  EXPECT_EQ(b, "epoch 2/10 [=====>    ] 50/100  1234 samples/s  loss 0.5000  ETA 02:05");
}

TEST(Progress, FitsTheBarIntoTheTerminalSoThatRedrawingNeverWraps) {
  // Wide terminals get the full 30-column bar.
  EXPECT_EQ(ProgressDisplay::fit(1, 3, 30, 100, 500, 1.25, 60, 200),
            ProgressDisplay::bar(1, 3, 30, 100, 500, 1.25, 60, 30));
  // Narrower ones a shorter bar: the text takes columns - 1 characters exactly.
  const std::string rest = ProgressDisplay::bar(1, 3, 30, 100, 500, 1.25, 60, 0);
  const int columns = static_cast<int>(rest.size()) + 1 + 15;
  const auto fitted = ProgressDisplay::fit(1, 3, 30, 100, 500, 1.25, 60, columns);
  EXPECT_EQ(fitted, ProgressDisplay::bar(1, 3, 30, 100, 500, 1.25, 60, 15));
  EXPECT_EQ(static_cast<int>(fitted.size()), columns - 1);
  // Below a 10-column bar the text is cut at the last column but one.
  for (int narrow : {20, 40, 60}) {
    const auto cut = ProgressDisplay::fit(1, 3, 30, 100, 500, 1.25, 60, narrow);
    EXPECT_EQ(static_cast<int>(cut.size()), narrow - 1) << narrow;
    EXPECT_EQ(cut, ProgressDisplay::bar(1, 3, 30, 100, 500, 1.25, 60, 10).substr(0, narrow - 1)) << narrow;
  }
}

class NewestCheckpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tandem_newest_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void touch(const std::string& name) { std::ofstream(dir_ / name) << "x"; }
  fs::path dir_;
};

TEST_F(NewestCheckpoint, IsTheHighestStepNotTheLastNameInTextOrder) {
  touch("ckpt-00000040.h5");
  touch("ckpt-00000045.h5");
  EXPECT_EQ(newest_checkpoint(dir_.string()), (dir_ / "ckpt-00000045.h5").string());
  // Past 8 digits the names grow longer; "ckpt-100000000.h5" sorts before "ckpt-00000045.h5"
  // as text, but its step is the highest.
  touch("ckpt-100000000.h5");
  EXPECT_EQ(newest_checkpoint(dir_.string()), (dir_ / "ckpt-100000000.h5").string());
}

TEST_F(NewestCheckpoint, IgnoresFilesThatAreNotCheckpoints) {
  touch("ckpt-00000010.h5");
  touch("ckpt-00000090.h5.tmp");  // a checkpoint being written, not yet renamed into place
  touch("ckpt-x.h5");
  touch("ckpt-.h5");
  touch("final.h5");
  touch("best.h5");
  fs::create_directories(dir_ / "ckpt-00000099.h5");
  EXPECT_EQ(newest_checkpoint(dir_.string()), (dir_ / "ckpt-00000010.h5").string());
  EXPECT_EQ(checkpoint_path(dir_.string(), 10), (dir_ / "ckpt-00000010.h5").string());
}

TEST_F(NewestCheckpoint, ADirectoryWithoutOneIsAUsageErrorNamingIt) {
  touch("final.h5");
  try {
    newest_checkpoint(dir_.string());
    FAIL() << "no UsageError";
  } catch (const UsageError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(dir_.string()), std::string::npos) << what;
    EXPECT_NE(what.find("without a checkpoint (ckpt-STEP.h5)"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace tandem::train
