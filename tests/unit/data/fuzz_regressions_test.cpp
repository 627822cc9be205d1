// Inputs the fuzz targets (tests/fuzz, README "Fuzzing") found to crash the converters and the
// dataset loader; each must now fail with a tandem::Error that names the problem. The same
// bytes are in the fuzz corpus (tests/fuzz/corpus/TARGET/regression-*).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "tandem/core/error.hpp"
#include "tandem/data/idx.hpp"

namespace tandem {
namespace {

class FuzzRegressions : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tandem_fuzz_regressions_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string file(const std::string& name, const std::string& bytes) const {
    const auto p = (dir_ / name).string();
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
  // The message of the tandem::Error f throws; "(no error)" if it returns.
  static std::string error_of(const std::function<void()>& f) {
    try {
      f();
    } catch (const Error& e) {
      return e.what();
    }
    return "(no error)";
  }
  std::filesystem::path dir_;
};

TEST_F(FuzzRegressions, IdxDimensionsWhoseProductOverflows) {
  // Three dimensions of about 2^32 each: their product overflowed int64 (UBSan) before it
  // sized the data.
  const std::string bytes("\x00\x00\x08\x03\xfe\xff\xff\xfd\xff\xff\xff\xfc\x00\x01\x00\x03", 16);
  const auto path = file("overflow-idx3-ubyte", bytes);
  EXPECT_NE(
      error_of([&] { data::read_idx(path); }).find("declares more than 2^40 bytes of data (dimension 1"),
      std::string::npos);
}

TEST_F(FuzzRegressions, IdxHeaderCutInsideItsDimensions) {
  // The file ends within its second dimension: the garbage read multiplied into an overflow.
  const std::string bytes("\x00\x00\x08\x03\xfe\xff\x7c\xfd", 8);
  const auto path = file("cut-idx3-ubyte", bytes);
  EXPECT_NE(error_of([&] { data::read_idx(path); }).find("is truncated"), std::string::npos);
}

TEST_F(FuzzRegressions, IdxHeaderClaimingMoreDataThanTheFileHolds) {
  // 2^30 bytes declared, 4 present: an error, without allocating the declared size first.
  const std::string bytes("\x00\x00\x08\x01\x40\x00\x00\x00\x01\x02\x03\x04", 12);
  const auto path = file("short-idx1-ubyte", bytes);
  EXPECT_NE(error_of([&] { data::read_idx(path); }).find("is truncated"), std::string::npos);
}

}  // namespace
}  // namespace tandem
