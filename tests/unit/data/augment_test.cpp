// Augmentation: each transform against its definition, and every draw a function of
// (seed, epoch, sample index) only.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "tandem/core/error.hpp"
#include "tandem/data/augment.hpp"

namespace tandem {
namespace {

constexpr int64_t kC = 2, kH = 5, kW = 6, kN = kC * kH * kW;

std::vector<float> image(int64_t id) {
  std::vector<float> x(kN);
  for (int64_t i = 0; i < kN; ++i) x[i] = static_cast<float>(1 + (i * 7 + id * 13) % 31);
  return x;
}

// Rows for samples ids, augmented as one batch.
std::vector<float> batch(const std::string& spec, const std::vector<int64_t>& ids, uint32_t epoch,
                         uint64_t seed = 4) {
  data::Augmenter aug(data::parse_augment(spec), Shape{kC, kH, kW}, seed);
  std::vector<float> x;
  for (auto id : ids) {
    const auto one = image(id);
    x.insert(x.end(), one.begin(), one.end());
  }
  aug.apply(x.data(), ids.data(), static_cast<int64_t>(ids.size()), epoch);
  return x;
}

std::vector<float> one(const std::string& spec, int64_t id, uint32_t epoch, uint64_t seed = 4) {
  return batch(spec, {id}, epoch, seed);
}

float at(const std::vector<float>& x, int64_t c, int64_t y, int64_t col) {
  return x[c * kH * kW + y * kW + col];
}

const char* kAll = "flip,crop:2,brightness:0.3,contrast:0.4,tint:0.2";

TEST(Augment, DependsOnlyOnSeedEpochAndSampleIndex) {
  const std::vector<int64_t> ids{5, 9, 2, 40};
  const auto together = batch(kAll, ids, 3);
  const auto reordered = batch(kAll, {40, 2, 9, 5}, 3);
  for (size_t i = 0; i < ids.size(); ++i) {
    const auto alone = one(kAll, ids[i], 3);
    for (int64_t k = 0; k < kN; ++k) {
      EXPECT_EQ(together[i * kN + k], alone[k]) << "sample " << ids[i];
      EXPECT_EQ(reordered[(ids.size() - 1 - i) * kN + k], alone[k]) << "sample " << ids[i];
    }
  }
  int differ_epoch = 0, differ_seed = 0;
  for (int64_t id = 0; id < 20; ++id) {
    differ_epoch += one(kAll, id, 3) != one(kAll, id, 4);
    differ_seed += one(kAll, id, 3) != one(kAll, id, 3, 5);
  }
  EXPECT_EQ(differ_epoch, 20);
  EXPECT_EQ(differ_seed, 20);
}

TEST(Augment, FlipMirrorsRowsAboutHalfTheTime) {
  int flipped = 0;
  for (int64_t id = 0; id < 1000; ++id) {
    const auto in = image(id), out = one("flip", id, 0);
    bool same = out == in, mirrored = true;
    for (int64_t c = 0; c < kC; ++c)
      for (int64_t y = 0; y < kH; ++y)
        for (int64_t x = 0; x < kW; ++x) mirrored = mirrored && at(out, c, y, x) == at(in, c, y, kW - 1 - x);
    ASSERT_TRUE(same || mirrored) << "sample " << id;
    flipped += mirrored;
  }
  EXPECT_GT(flipped, 430);
  EXPECT_LT(flipped, 570);
}

TEST(Augment, CropIsAShiftWithinThePaddingFilledWithZeros) {
  std::vector<int> seen(25, 0);
  for (int64_t id = 0; id < 400; ++id) {
    const auto in = image(id), out = one("crop:2", id, 1);
    int found = -1;
    for (int64_t dy = -2; dy <= 2 && found < 0; ++dy)
      for (int64_t dx = -2; dx <= 2 && found < 0; ++dx) {
        bool match = true;
        for (int64_t c = 0; c < kC; ++c)
          for (int64_t y = 0; y < kH; ++y)
            for (int64_t x = 0; x < kW; ++x) {
              const int64_t sy = y + dy, sx = x + dx;
              const float want = sy >= 0 && sy < kH && sx >= 0 && sx < kW ? at(in, c, sy, sx) : 0.0f;
              match = match && at(out, c, y, x) == want;
            }
        if (match) found = static_cast<int>((dy + 2) * 5 + dx + 2);
      }
    ASSERT_GE(found, 0) << "sample " << id << " is not a padded crop of its input";
    ++seen[found];
  }
  for (int s = 0; s < 25; ++s) EXPECT_GT(seen[s], 0) << "offset " << s << " never drawn";
}

TEST(Augment, BrightnessContrastAndTintFollowTheirDefinitions) {
  for (int64_t id = 0; id < 50; ++id) {
    const auto in = image(id);
    const auto b = one("brightness:0.3", id, 2);
    const float delta = b[0] - in[0];
    EXPECT_LE(std::abs(delta), 0.3f);
    for (int64_t k = 0; k < kN; ++k) EXPECT_NEAR(b[k] - in[k], delta, 1e-5);

    const auto t = one("tint:0.2", id, 2);
    for (int64_t c = 0; c < kC; ++c) {
      const float dc = t[c * kH * kW] - in[c * kH * kW];
      EXPECT_LE(std::abs(dc), 0.2f);
      for (int64_t k = c * kH * kW; k < (c + 1) * kH * kW; ++k) EXPECT_NEAR(t[k] - in[k], dc, 1e-5);
    }

    const auto ct = one("contrast:0.4", id, 2);
    double mean = 0;
    for (float v : in) mean += v;
    mean /= kN;
    const double factor = (ct[0] - mean) / (in[0] - mean);
    EXPECT_GE(factor, 0.6 - 1e-5);
    EXPECT_LE(factor, 1.4 + 1e-5);
    for (int64_t k = 0; k < kN; ++k) EXPECT_NEAR(ct[k] - mean, factor * (in[k] - mean), 1e-4);
  }
}

TEST(Augment, ParsesAndRefusesWithTheFix) {
  EXPECT_FALSE(data::parse_augment("none").active());
  EXPECT_EQ(data::parse_augment("crop:4,flip,tint:0.1").str(), "flip,crop:4,tint:0.1");
  EXPECT_THROW(data::parse_augment("rotate:10"), UsageError);
  EXPECT_THROW(data::parse_augment("crop"), UsageError);
  EXPECT_THROW(data::parse_augment("contrast:1.5"), UsageError);
  EXPECT_THROW(data::parse_augment("brightness:-1"), UsageError);
  EXPECT_THROW(data::Augmenter(data::parse_augment("flip"), Shape{784}, 0), UsageError);
  EXPECT_NO_THROW(data::Augmenter(data::parse_augment("brightness:0.1"), Shape{784}, 0));
}

}  // namespace
}  // namespace tandem
