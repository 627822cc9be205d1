// Float inputs and targets holding NaN or infinity are refused where they enter memory: a split
// loaded (per file of a sharded dataset, and per rank's part of a node-shared copy), or rows
// streamed in (on the prefetcher's thread too, rethrown where the rows are taken). The message
// names the file, the array, the row within that file, the column and the value; uint8 inputs
// and class indices are not checked, and check_finite = false loads the values as they are.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <vector>

#include "tandem/core/error.hpp"
#include "tandem/data/augment.hpp"
#include "tandem/data/dataset.hpp"
#include "tandem/dist/comm.hpp"
#include "tandem/io/h5.hpp"
#include "tandem/tensor/kernels.hpp"
#include "tandem/train/prefetch.hpp"

namespace tandem {
namespace {

constexpr int64_t kRows = 30, kWidth = 6;  // [2, 3] per sample
const float kNan = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

class Finite : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tandem_finite_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // /train/x float32 [rows, 2, 3] (chunked by 4 rows), /train/y float32 [rows, 2]; x[bad_row,
  // bad_col] = x_value unless bad_row < 0, y[y_row, 1] = y_value unless y_row < 0.
  std::string write(const std::string& name, int64_t rows, int64_t bad_row, int64_t bad_col, float x_value,
                    int64_t y_row = -1, float y_value = 0) {
    const auto path = (dir_ / name).string();
    io::H5File f(path, io::H5File::Mode::kCreate);
    std::vector<float> x(rows * kWidth), y(rows * 2);
    for (size_t i = 0; i < x.size(); ++i) x[i] = 0.5f * static_cast<float>(i) - 7.0f;
    for (size_t i = 0; i < y.size(); ++i) y[i] = static_cast<float>(i % 3);
    if (bad_row >= 0) x[bad_row * kWidth + bad_col] = x_value;
    if (y_row >= 0) y[y_row * 2 + 1] = y_value;
    f.write("/train/x", {rows, 2, 3}, x.data(), 4);
    f.write("/train/y", {rows, 2}, y.data());
    return path;
  }
  std::filesystem::path dir_;
};

std::string load_error(const std::string& path, data::DataMode mode = data::DataMode::kMemory,
                       dist::Comm* node_cache = nullptr) {
  try {
    data::Dataset::load(path, "train", 0, mode, 0, node_cache);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::string rows_error(const data::Dataset& d, std::vector<int64_t> ids) {
  std::vector<float> out(ids.size() * kWidth);
  try {
    d.input_rows(0, ids.data(), 0, static_cast<int64_t>(ids.size()), out.data());
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(FirstNonfinite, FindsTheFirstNanOrInfinityInAnyBlock) {
  std::vector<float> x(10000, 1.5f);
  EXPECT_EQ(kernels::first_nonfinite(x.data(), 10000), -1);
  x[9000] = -kInf;
  x[9999] = kNan;
  EXPECT_EQ(kernels::first_nonfinite(x.data(), 10000), 9000);
  x[4095] = kNan;
  EXPECT_EQ(kernels::first_nonfinite(x.data(), 10000), 4095);
  EXPECT_EQ(kernels::first_nonfinite(x.data(), 4095), -1);
  x[3] = std::numeric_limits<float>::max();  // large but finite
  x[4] = std::numeric_limits<float>::denorm_min();
  EXPECT_EQ(kernels::first_nonfinite(x.data(), 4095), -1);
  EXPECT_EQ(kernels::first_nonfinite(x.data(), 0), -1);
}

TEST_F(Finite, MemoryModeNamesTheArrayRowColumnAndValue) {
  const auto nan_path = write("nan.h5", kRows, 17, 4, kNan);
  EXPECT_EQ(load_error(nan_path),
            "'/train/x' in '" + nan_path +
                "' holds nan at row 17, column 4 (the first value that is not finite): "
                "training on it would make the loss nan; clean the data (drop or repair "
                "such rows) and convert it again, or pass --no-check-finite to 'tandem train' to read it "
                "as it is");
  const auto inf_path = write("inf.h5", kRows, 0, 0, -kInf);
  EXPECT_NE(load_error(inf_path).find("'/train/x' in '" + inf_path + "' holds -inf at row 0, column 0 "),
            std::string::npos);
  // Two bad values: the first is named.
  const auto two = write("two.h5", kRows, 29, 5, kInf, -1, 0);
  EXPECT_NE(load_error(two).find("holds inf at row 29, column 5"), std::string::npos) << load_error(two);
}

TEST_F(Finite, FloatTargetsAreCheckedToo) {
  const auto path = write("y.h5", kRows, -1, 0, 0, 12, kNan);
  EXPECT_NE(load_error(path).find("'/train/y' in '" + path + "' holds nan at row 12, column 1"),
            std::string::npos)
      << load_error(path);
  // In stream mode the targets are still loaded (and checked) at once.
  EXPECT_NE(load_error(path, data::DataMode::kStream).find("'/train/y'"), std::string::npos);
}

TEST_F(Finite, ShardsNameTheFileAndItsOwnRow) {
  const auto a = write("s-0.h5", 10, -1, 0, 0);
  const auto b = write("s-1.h5", 10, 3, 2, kNan);
  const std::string pattern = (dir_ / "s-*.h5").string();
  EXPECT_NE(load_error(pattern).find("'/train/x' in '" + b + "' holds nan at row 3, column 2"),
            std::string::npos)
      << load_error(pattern);
  // Streamed: global row 13 is row 3 of the second file.
  const auto d = data::Dataset::load(pattern, "train", 0, data::DataMode::kStream);
  EXPECT_EQ(rows_error(d, {0, 9, 10}), "");
  EXPECT_NE(rows_error(d, {1, 13, 2}).find("'/train/x' in '" + b + "' holds nan at row 3, column 2"),
            std::string::npos)
      << rows_error(d, {1, 13, 2});
}

TEST_F(Finite, StreamModeChecksRowsAsTheyAreRead) {
  const auto path = write("stream.h5", kRows, 21, 1, kInf);
  const auto d = data::Dataset::load(path, "train", 0, data::DataMode::kStream);  // loads: rows not read yet
  EXPECT_EQ(rows_error(d, {0, 1, 20, 22}), "");
  EXPECT_EQ(rows_error(d, {5, 21, 3}),
            "'/train/x' in '" + path +
                "' holds inf at row 21, column 1 (the first value that is not finite): "
                "training on it would make the loss nan; clean the data (drop or "
                "repair such rows) and convert it again, or pass --no-check-finite to 'tandem train' to "
                "read it as it is");
  std::vector<float> out(5 * kWidth);
  EXPECT_THROW(d.input_rows(0, nullptr, 19, 5, out.data()), Error) << "contiguous rows too";
  const std::vector<int64_t> outer{21, 4};
  EXPECT_NE(rows_error(d.subset(outer), {1, 0}).find("row 21, column 1"), std::string::npos)
      << "a subset names the stored row";
}

TEST_F(Finite, ThePrefetcherRethrowsWhereTheRowsAreTaken) {
  const auto path = write("prefetch.h5", kRows, 8, 0, kNan);
  const auto d = data::Dataset::load(path, "train", 0, data::DataMode::kStream);
  const data::Augmenter none{data::parse_augment(""), Shape{2, 3}, 1};
  train::Prefetcher p(d, {0}, {kWidth}, 4, 2, none, model::Preprocessing{});
  const std::vector<int64_t> bad{2, 8};
  ASSERT_TRUE(p.post(bad, 0));
  std::vector<float> got(4 * kWidth);
  float* out[1] = {got.data()};
  try {
    p.take(bad, 0, out);
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'/train/x' in '" + path + "' holds nan at row 8, column 0"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(Finite, NodeSharedCopyIsCheckedByTheRankThatReadsIt) {
  const auto path = write("node.h5", kRows, 25, 3, kNan);
  dist::LocalComm one;
  EXPECT_NE(load_error(path, data::DataMode::kMemory, &one)
                .find("'/train/x' in '" + path + "' holds nan at row 25, column 3"),
            std::string::npos)
      << load_error(path, data::DataMode::kMemory, &one);
}

TEST_F(Finite, CheckOffLoadsTheValuesAsTheyAre) {
  const auto path = write("off.h5", kRows, 3, 2, kNan, 4, kInf);
  const auto d = data::Dataset::load(path, "train", 0, data::DataMode::kMemory, 0, nullptr, false);
  EXPECT_TRUE(std::isnan(d.inputs()[0].f32[3 * kWidth + 2]));
  EXPECT_EQ(d.targets()[0].f32[4 * 2 + 1], kInf);
  const auto s = data::Dataset::load(path, "train", 0, data::DataMode::kStream, 0, nullptr, false);
  EXPECT_EQ(rows_error(s, {3}), "");
}

TEST_F(Finite, Uint8InputsAndClassIndicesAreNotFloats) {
  const auto path = (dir_ / "u8.h5").string();
  {
    io::H5File f(path, io::H5File::Mode::kCreate);
    std::vector<uint8_t> x(kRows * kWidth, 255);
    std::vector<int32_t> y(kRows, 1);
    f.write("/train/x", {kRows, 2, 3}, x.data());
    f.write("/train/y", {kRows}, y.data());
  }
  EXPECT_EQ(load_error(path), "");
  EXPECT_EQ(load_error(path, data::DataMode::kStream), "");
}

}  // namespace
}  // namespace tandem
