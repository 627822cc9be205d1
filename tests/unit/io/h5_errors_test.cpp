// Why an HDF5 file cannot be read, each cause named as such: a missing path, a file that is not
// HDF5 (or empty), a truncated one (the on-disk size and the size its superblock records), and
// one whose superblock is damaged.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "tandem/core/error.hpp"
#include "tandem/io/h5.hpp"

namespace tandem {
namespace {

class H5Errors : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tandem_h5err_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A valid file holding one float array of 4000 values (16,000 bytes and more).
  std::string valid(const std::string& name) {
    const auto path = (dir_ / name).string();
    io::H5File f(path, io::H5File::Mode::kCreate);
    std::vector<float> x(4000, 1.0f);
    f.write("/train/x", {1000, 4}, x.data());
    return path;
  }
  std::filesystem::path dir_;
};

std::string open_error(const std::string& path) {
  try {
    io::H5File f(path, io::H5File::Mode::kRead);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST_F(H5Errors, MissingFileSaysSo) {
  const auto path = (dir_ / "nothing.h5").string();
  EXPECT_EQ(open_error(path), "file '" + path + "' does not exist; check the path");
}

TEST_F(H5Errors, TruncatedFileNamesBothSizes) {
  const auto path = valid("cut.h5");
  const auto full = static_cast<int64_t>(std::filesystem::file_size(path));
  ASSERT_GT(full, 16000);
  EXPECT_EQ(open_error(path), "");
  std::filesystem::resize_file(path, 10000);
  EXPECT_EQ(open_error(path), "HDF5 file '" + path +
                                  "' is truncated (10000 bytes on disk, the file says it holds " +
                                  std::to_string(full) +
                                  "): it was damaged or not copied completely; copy or convert it again");
}

TEST_F(H5Errors, NotHdf5AndEmptyFilesAreNamedAsSuch) {
  const auto text = (dir_ / "data.csv").string();
  std::ofstream(text) << "label,x\n1,0.5\n";
  EXPECT_EQ(open_error(text), "'" + text +
                                  "' (14 bytes) is not an HDF5 file (no HDF5 signature); check the path, or "
                                  "convert the data with 'tandem convert'");
  const auto empty = (dir_ / "empty.h5").string();
  std::ofstream{empty};
  EXPECT_NE(open_error(empty).find("'" + empty + "' (0 bytes) is not an HDF5 file"), std::string::npos)
      << open_error(empty);
}

TEST_F(H5Errors, DamagedSuperblockIsCalledDamaged) {
  const auto path = valid("bad.h5");
  {
    // Keep the signature (bytes 0-7), overwrite the superblock after it.
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(8);
    const std::vector<char> junk(40, '\x7f');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  const auto e = open_error(path);
  EXPECT_EQ(e.rfind("HDF5 file '" + path + "' (", 0), 0u) << e;
  EXPECT_NE(e.find(" is damaged: HDF5 cannot open it ("), std::string::npos) << e;
  EXPECT_NE(e.find("); copy or convert it again"), std::string::npos) << e;
}

}  // namespace
}  // namespace tandem
