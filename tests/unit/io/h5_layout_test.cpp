// A dataset whose stored layout cannot hold the shape it claims is refused when its shape is
// read (H5File::info), before a buffer is sized from the shape or libhdf5 reads it; valid
// layouts, highly compressed ones included, still load. The damaged layouts fuzzing found are
// in tests/unit/data/fuzz_regressions_test.cpp; these are the ones a program can write.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <unistd.h>

#include <filesystem>
#include <vector>

#include "tandem/core/error.hpp"
#include "tandem/data/dataset.hpp"
#include "tandem/io/h5.hpp"

namespace tandem {
namespace {

class H5Layout : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tandem_h5layout_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static std::string error_of(const std::string& path) {
    try {
      data::Dataset::load(path, "train");
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }

  std::filesystem::path dir_;
};

TEST_F(H5Layout, AnArrayCreatedButNeverWrittenIsRefused) {
  // h5py's create_dataset(shape=...) without data, or a writer stopped before writing: the
  // array has a shape but no bytes, and would load as fill values.
  const std::string path = (dir_ / "unwritten.h5").string();
  {
    io::H5File f(path, io::H5File::Mode::kCreate);
    const std::vector<int32_t> y = {0, 1, 0, 1};
    f.write("/train/y", {4}, y.data());
  }
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  const hsize_t dims[2] = {4, 2};
  const hid_t space = H5Screate_simple(2, dims, nullptr);
  const hid_t x = H5Dcreate2(file, "/train/x", H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(x, 0);
  H5Dclose(x);
  H5Sclose(space);
  H5Fclose(file);
  const std::string e = error_of(path);
  EXPECT_NE(e.find("'/train/x' in '" + path +
                   "' is damaged: its shape [4, 2] needs 32 bytes but the file stores 0 "
                   "for it (or the array was created larger than the data written to it)"),
            std::string::npos)
      << e;
}

TEST_F(H5Layout, HighlyCompressedArraysStillLoad) {
  // 2,000,000 zeros, chunked and deflated by tandem's writer, shrink about 1000-fold: within
  // the 4096:1 bound, and read back as written.
  const std::string path = (dir_ / "zeros.h5").string();
  const int64_t rows = 100000, width = 20;
  {
    io::H5File f(path, io::H5File::Mode::kCreate);
    const std::vector<float> x(rows * width, 0.0f);
    const std::vector<int32_t> y(rows, 3);
    f.write("/train/x", {rows, width}, x.data(), rows);
    f.write("/train/y", {rows}, y.data(), rows);
  }
  const auto d = data::Dataset::load(path, "train");
  ASSERT_EQ(d.size(), rows);
  std::vector<float> x(10 * width, 1.0f);
  d.input_rows(0, nullptr, rows - 10, 10, x.data());
  for (float v : x) EXPECT_EQ(v, 0.0f);
  EXPECT_LT(std::filesystem::file_size(path), rows * width * 4 / 100);  // it did compress
}

}  // namespace
}  // namespace tandem
