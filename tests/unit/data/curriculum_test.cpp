// Curriculum learning: the pacing functions against their closed forms, and the sampler's
// epochs holding exactly the easiest samples of each class, each once, class-balanced.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <set>

#include "tandem/core/error.hpp"
#include "tandem/data/curriculum.hpp"
#include "tandem/data/sampler.hpp"
#include "tandem/io/h5.hpp"

namespace tandem {
namespace {

using data::CurriculumPace;
using data::CurriculumSchedule;

TEST(Curriculum, LinearPaceGrowsEvenlyToOneAtEpochE) {
  const CurriculumSchedule s{CurriculumPace::kLinear, 0.25, 3};
  const double expected[] = {0.25, 0.5, 0.75, 1.0, 1.0, 1.0};
  for (int e = 0; e < 6; ++e) EXPECT_NEAR(s.fraction(e), expected[e], 1e-15) << "epoch " << e;
  // A class of 10 with F = 0.3 over 2 epochs: ceil(3) = 3, ceil(6.5) = 7, then all 10.
  const CurriculumSchedule t{CurriculumPace::kLinear, 0.3, 2};
  EXPECT_EQ(t.available(0, 10), 3);
  EXPECT_EQ(t.available(1, 10), 7);
  EXPECT_EQ(t.available(2, 10), 10);
  // Never an empty non-empty class, never more than the class.
  EXPECT_EQ(t.available(0, 1), 1);
  EXPECT_EQ(t.available(0, 0), 0);
}

TEST(Curriculum, StepPaceDoublesAtEvenlySpacedEpochs) {
  // F = 0.2: k = ceil(log2 5) = 3 doublings over E = 6 epochs, at epochs 2, 4 and 6.
  const CurriculumSchedule s{CurriculumPace::kStep, 0.2, 6};
  const double expected[] = {0.2, 0.2, 0.4, 0.4, 0.8, 0.8, 1.0, 1.0};
  for (int e = 0; e < 8; ++e) EXPECT_NEAR(s.fraction(e), expected[e], 1e-15) << "epoch " << e;
  // F = 0.25 over 5 epochs: k = 2, doublings at ceil(5/2) = 3 and 5.
  const CurriculumSchedule q{CurriculumPace::kStep, 0.25, 5};
  const double quarter[] = {0.25, 0.25, 0.25, 0.5, 0.5, 1.0};
  for (int e = 0; e < 6; ++e) EXPECT_NEAR(q.fraction(e), quarter[e], 1e-15) << "epoch " << e;
  // F = 0.1 over 2 epochs: k = 4 doublings, two of them at epoch 1 (0.1 -> 0.4), then 1 at 2.
  const CurriculumSchedule r{CurriculumPace::kStep, 0.1, 2};
  EXPECT_NEAR(r.fraction(0), 0.1, 1e-15);
  EXPECT_NEAR(r.fraction(1), 0.4, 1e-15);
  EXPECT_EQ(r.fraction(2), 1.0);
  // F = 1: everything from the start; off: everything always.
  EXPECT_EQ((CurriculumSchedule{CurriculumPace::kStep, 1.0, 4}).fraction(0), 1.0);
  EXPECT_EQ((CurriculumSchedule{CurriculumPace::kOff, 0.1, 4}).fraction(0), 1.0);
}

TEST(Curriculum, BadScheduleValuesAreUsageErrors) {
  EXPECT_THROW(data::validate(CurriculumSchedule{CurriculumPace::kLinear, 0.0, 3}), UsageError);
  EXPECT_THROW(data::validate(CurriculumSchedule{CurriculumPace::kLinear, 1.5, 3}), UsageError);
  EXPECT_THROW(data::validate(CurriculumSchedule{CurriculumPace::kStep, 0.5, 0}), UsageError);
  EXPECT_NO_THROW(data::validate(CurriculumSchedule{CurriculumPace::kOff, 0.0, 0}));
}

TEST(Curriculum, RanksEachClassByDifficultyTiesByIndex) {
  const std::vector<int32_t> labels{0, 1, 0, 0, 1, 0};
  const std::vector<float> difficulty{3, 1, 1, 1, 0.5f, -2};
  const data::Curriculum c(labels, difficulty, {CurriculumPace::kLinear, 0.5, 2});
  EXPECT_EQ(c.ranked(0), (std::vector<int64_t>{5, 2, 3, 0}));  // -2, then the tie 1, 1 by index
  EXPECT_EQ(c.ranked(1), (std::vector<int64_t>{4, 1}));
  EXPECT_EQ(c.class_sizes(0), (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(c.available(1), 3 + 2);  // f = 0.75: ceil(3) and ceil(1.5)
}

// 3 classes of unequal sizes (40, 25, 16), difficulties a scrambled function of the index with ties.
struct Fixture {
  std::vector<int32_t> labels;
  std::vector<float> difficulty;
  Fixture() {
    for (int i = 0; i < 81; ++i) {
      labels.push_back(i < 40 ? 0 : i < 65 ? 1 : 2);
      difficulty.push_back(static_cast<float>((i * 37) % 23));
    }
  }
  // Whether sample i is among the k easiest of its class: fewer than k of the class come
  // before it (lower difficulty, or equal and a lower index).
  bool among_easiest(int64_t i, int64_t k) const {
    int64_t before = 0;
    for (size_t j = 0; j < labels.size(); ++j)
      if (labels[j] == labels[i] &&
          (difficulty[j] < difficulty[i] || (difficulty[j] == difficulty[i] && static_cast<int64_t>(j) < i)))
        ++before;
    return before < k;
  }
};

TEST(Curriculum, EveryEpochHoldsTheEasiestOfEachClassOnceInBalancedBatches) {
  const Fixture f;
  const data::Curriculum c(f.labels, f.difficulty, {CurriculumPace::kLinear, 0.2, 4});
  data::Sampler s(f.labels, 8, 11);
  s.set_curriculum(&c);
  const int64_t sizes[3] = {40, 25, 16};
  for (int64_t e = 0; e < 6; ++e) {
    s.start_epoch(e);
    const double fr = std::min(1.0, 0.2 + 0.8 * static_cast<double>(e) / 4);
    int64_t expect[3], total = 0;
    for (int k = 0; k < 3; ++k) total += expect[k] = static_cast<int64_t>(std::ceil(fr * sizes[k] - 1e-9));
    ASSERT_EQ(static_cast<int64_t>(s.order().size()), total) << "epoch " << e;
    EXPECT_EQ(s.batches(), (total + 7) / 8);
    std::map<int64_t, int> seen;
    int64_t per_class[3] = {0, 0, 0};
    for (int64_t b = 0; b < s.batches(); ++b) {
      const auto counts = s.batch_counts(b);
      for (int k = 0; k < 3; ++k) {  // floor or ceiling of the class's share of this batch
        const double share = static_cast<double>(s.batch_size(b)) * expect[k] / total;
        EXPECT_GE(counts[k], std::floor(share)) << "epoch " << e << " batch " << b;
        EXPECT_LE(counts[k], std::ceil(share)) << "epoch " << e << " batch " << b;
      }
      for (int64_t id : s.batch(b)) ++seen[id], ++per_class[f.labels[id]];
    }
    for (int k = 0; k < 3; ++k) EXPECT_EQ(per_class[k], expect[k]) << "epoch " << e << " class " << k;
    for (const auto& [id, times] : seen) {
      EXPECT_EQ(times, 1) << "sample " << id << " in epoch " << e;
      EXPECT_TRUE(f.among_easiest(id, expect[f.labels[id]])) << "sample " << id << " in epoch " << e;
    }
  }
}

TEST(Curriculum, ShardsPartitionEachBatchForAnyNumberOfRanks) {
  const Fixture f;
  const data::Curriculum c(f.labels, f.difficulty, {CurriculumPace::kStep, 0.3, 3});
  data::Sampler s(f.labels, 10, 5);
  s.set_curriculum(&c);
  for (int64_t e = 0; e < 4; ++e) {
    s.start_epoch(e);
    for (int64_t b = 0; b < s.batches(); ++b) {
      std::vector<int64_t> whole(s.batch(b).begin(), s.batch(b).end());
      std::sort(whole.begin(), whole.end());
      for (int ranks : {1, 2, 3, 4}) {
        std::vector<int64_t> joined;
        for (int r = 0; r < ranks; ++r) {
          const auto part = s.shard(b, r, ranks);
          joined.insert(joined.end(), part.begin(), part.end());
        }
        std::sort(joined.begin(), joined.end());
        ASSERT_EQ(joined, whole) << "epoch " << e << " batch " << b << ", " << ranks << " ranks";
      }
    }
  }
}

TEST(Curriculum, AnEpochDependsOnTheEpochNotOnTheEpochsBefore) {
  // A resumed run starts its sampler at the epoch it resumes: the same batches.
  const Fixture f;
  const data::Curriculum c(f.labels, f.difficulty, {CurriculumPace::kLinear, 0.25, 3});
  data::Sampler walked(f.labels, 8, 3);
  walked.set_curriculum(&c);
  for (int64_t e = 0; e < 5; ++e) {
    walked.start_epoch(e);
    data::Sampler fresh(f.labels, 8, 3);
    fresh.set_curriculum(&c);
    fresh.start_epoch(e);
    ASSERT_EQ(walked.order(), fresh.order()) << "epoch " << e;
  }
  // Without a curriculum from epoch E on: the plain sampler's epochs.
  data::Sampler plain(f.labels, 8, 3);
  plain.start_epoch(4);
  EXPECT_EQ(walked.order(), plain.order());
}

TEST(Curriculum, DifficultyOfWrongLengthOrNotFiniteIsRefused) {
  const std::vector<float> ok{1, 2, 3};
  EXPECT_NO_THROW(data::check_difficulty(ok, 3, "d"));
  EXPECT_THROW(data::check_difficulty(ok, 4, "d"), UsageError);
  const std::vector<float> nan{1, std::numeric_limits<float>::quiet_NaN(), 3};
  try {
    data::check_difficulty(nan, 3, "'f.h5':/train/difficulty");
    FAIL() << "NaN accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("sample 1"), std::string::npos) << e.what();
  }
}

TEST(Curriculum, ReadsTheSplitsDifficultyArray) {
  const auto path =
      (std::filesystem::temp_directory_path() / ("tandem_curriculum_" + std::to_string(::getpid()) + ".h5"))
          .string();
  {
    io::H5File h(path, io::H5File::Mode::kCreate);
    h.create_group("/train");
    const std::vector<double> d{0.5, 0.25, 2, 8};
    h.write("/train/difficulty", {4}, d.data());
  }
  EXPECT_EQ(data::read_difficulty(path, "train", 4, true), (std::vector<float>{0.5f, 0.25f, 2, 8}));
  EXPECT_EQ(data::read_difficulty(path, "train", 2, false),
            (std::vector<float>{0.5f, 0.25f}));                              // --train-limit 2
  EXPECT_THROW(data::read_difficulty(path, "train", 3, true), UsageError);   // 4 values for 3 samples
  EXPECT_THROW(data::read_difficulty(path, "train", 5, false), UsageError);  // too few
  EXPECT_THROW(data::read_difficulty(path, "test", 4, true), UsageError);    // no /test/difficulty
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace tandem
