// The prefetcher's background thread against the same rows prepared on the calling thread:
// rows read from a streamed file, flipped by the augmenter and standardized, queued ahead and
// taken in order; a gather it did not prepare drops the queue; an error on the worker is
// rethrown where the rows are taken; a full queue refuses more.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <vector>

#include "tandem/core/error.hpp"
#include "tandem/data/augment.hpp"
#include "tandem/data/dataset.hpp"
#include "tandem/io/h5.hpp"
#include "tandem/train/prefetch.hpp"

namespace tandem {
namespace {

class Prefetch : public ::testing::Test {
 protected:
  static constexpr int64_t kRows = 40, kWidth = 12;  // [1, 3, 4] images
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tandem_prefetch_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "d.h5").string();
    io::H5File f(path_, io::H5File::Mode::kCreate);
    std::vector<uint8_t> x(kRows * kWidth);
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<uint8_t>((i * 53 + 7) % 256);
    std::vector<int32_t> y(kRows, 0);
    f.write("/train/x", {kRows, 1, 3, 4}, x.data(), 8);
    f.set_attr("/train/x", "scale", 1.0 / 255);
    f.write("/train/y", {kRows}, y.data());
    pre_.mode = model::PreprocessMode::kStandardize;
    for (int64_t i = 0; i < kWidth; ++i)
      pre_.mean.push_back(0.1f * static_cast<float>(i)), pre_.scale.push_back(2.0f);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // What DataFeed::gather makes of these rows on the calling thread.
  std::vector<float> expected(const data::Dataset& d, const std::vector<int64_t>& ids, uint32_t epoch) {
    std::vector<float> x(ids.size() * kWidth);
    d.input_rows(0, ids.data(), 0, static_cast<int64_t>(ids.size()), x.data());
    augment_.apply(x.data(), ids.data(), static_cast<int64_t>(ids.size()), epoch);
    pre_.apply(x.data(), static_cast<int64_t>(ids.size()));
    return x;
  }

  std::filesystem::path dir_;
  std::string path_;
  data::Augmenter augment_{data::parse_augment("flip"), Shape{1, 3, 4}, 5};
  model::Preprocessing pre_;
};

TEST_F(Prefetch, TakesWhatItPreparedInOrderAndDropsWhatIsNotAsked) {
  const auto d = data::Dataset::load(path_, "train", 0, data::DataMode::kStream);
  train::Prefetcher p(d, {0}, {kWidth}, 8, 3, augment_, pre_);
  const std::vector<std::vector<int64_t>> batches{{3, 9, 1, 30}, {39, 0, 17, 18, 19}, {2}};
  for (const auto& b : batches) EXPECT_TRUE(p.post(b, 4));
  EXPECT_FALSE(p.post(batches[0], 4)) << "three slots, all taken";
  std::vector<float> got(8 * kWidth);
  float* out[1] = {got.data()};
  for (const auto& b : batches) {
    ASSERT_TRUE(p.take(b, 4, out));
    const auto want = expected(d, b, 4);
    EXPECT_EQ(std::vector<float>(got.begin(), got.begin() + static_cast<int64_t>(want.size())), want);
  }
  EXPECT_EQ(p.served(), 3);
  // Queued rows that are not the ones asked for (another epoch, other rows) are dropped.
  EXPECT_TRUE(p.post(batches[0], 4));
  EXPECT_TRUE(p.post(batches[1], 4));
  EXPECT_FALSE(p.take(batches[0], 5, out));
  EXPECT_FALSE(p.take(batches[1], 4, out)) << "the queue was dropped";
  EXPECT_EQ(p.missed(), 2);
  EXPECT_TRUE(p.post(batches[1], 4));
  EXPECT_TRUE(p.take(batches[1], 4, out));
}

TEST_F(Prefetch, ErrorsOfTheWorkerSurfaceWhereTheRowsAreTaken) {
  const auto d = data::Dataset::load(path_, "train", 0, data::DataMode::kStream);
  train::Prefetcher p(d, {0}, {kWidth}, 8, 2, augment_, pre_);
  const std::vector<int64_t> bad{1, kRows + 3};
  ASSERT_TRUE(p.post(bad, 0));
  std::vector<float> got(8 * kWidth);
  float* out[1] = {got.data()};
  EXPECT_THROW(p.take(bad, 0, out), Error);
  const std::vector<int64_t> good{4, 5};
  ASSERT_TRUE(p.post(good, 0));
  EXPECT_TRUE(p.take(good, 0, out)) << "the prefetcher goes on after an error";
}

}  // namespace
}  // namespace tandem
