// Inputs the fuzz targets (tests/fuzz, README "Fuzzing") found to crash the converters and the
// dataset loader; each must now fail with a tandem::Error that names the problem. The same
// bytes are in the fuzz corpus (tests/fuzz/corpus/TARGET/regression-*). The FuzzRegressionsH5
// tests on tests/fuzz/libhdf5-crashes/ are libhdf5's own failures: the process must end with
// tandem's message naming the file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "../../support/default_signal_action.hpp"
#include "tandem/core/error.hpp"
#include "tandem/data/dataset.hpp"
#include "tandem/data/idx.hpp"
#include "tandem/data/npy.hpp"
#include "tandem/io/h5.hpp"

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

// A .npy header: magic, version, little-endian length, the dict padded with spaces and '\n'.
std::string npy_bytes(const std::string& dict, const std::string& data, int version = 1) {
  std::string header = dict;
  const size_t prefix = version == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64) header += ' ';
  header += '\n';
  std::string out("\x93NUMPY", 6);
  out += static_cast<char>(version);
  out += '\0';
  for (size_t i = 0; i < (version == 1 ? 2u : 4u); ++i)
    out += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return out + header + data;
}

TEST_F(FuzzRegressions, NpyHeaderLengthBeyondTheFile) {
  // Version 2 header length 0x7b000074 (about 2 GB) in a small file: it was allocated before reading.
  std::string bytes =
      npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", std::string(24, '\0'), 2);
  bytes[8] = '\x74', bytes[9] = 0, bytes[10] = 0, bytes[11] = '\x7b';
  const auto path = file("long-header.npy", bytes);
  EXPECT_NE(error_of([&] { data::read_npy(path); }).find("ends inside its header (2063597684 bytes declared"),
            std::string::npos)
      << error_of([&] { data::read_npy(path); });
}

TEST_F(FuzzRegressions, NpyShapeWhoseProductOverflowsOrExceedsTheFile) {
  const auto overflow = file("overflow.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': "
                                                       "(4294967296, 4294967296, 16), }",
                                                       std::string(16, '\0')));
  EXPECT_NE(error_of([&] {
              data::read_npy(overflow);
            }).find("shape (4294967296, 4294967296, 16) has more elements than any file holds"),
            std::string::npos)
      << error_of([&] { data::read_npy(overflow); });
  const auto beyond =
      file("beyond.npy",
           npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", std::string(16, '\0')));
  EXPECT_NE(error_of([&] {
              data::read_npy(beyond);
            }).find("is shorter than its shape (2, 3) says (16 bytes of data)"),
            std::string::npos);
  // No rows, but the other dimensions' product overflowed where the converter formed a row's width.
  const auto huge_rows = file("huge-rows.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': "
                                                         "(0, 2, 9223372036854775807), }",
                                                         ""));
  EXPECT_NE(error_of([&] { data::read_npy(huge_rows); }).find("has more elements than any file holds"),
            std::string::npos);
  const auto empty = file(
      "empty.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 1000000000000), }", ""));
  EXPECT_EQ(data::read_npy(empty).count(), 0);
}

TEST_F(FuzzRegressions, NpyTargetsWithoutValuesPerRow) {
  // x and y of shape (2, 0), y bool: zero-width vector targets were taken for class indices and
  // the held-out split read labels that did not exist (UBSan); a zero-width sample likewise.
  const auto zero_width =
      file("zero.npy", npy_bytes("{'descr': '|b1', 'fortran_order': False, 'shape': (2, 0), }", ""));
  data::NpyOptions o;
  o.x = o.y = zero_width;
  o.test_fraction = 0.5;
  EXPECT_NE(error_of([&] { data::npy_table(o); }).find("has shape (2, 0): a sample needs at least one value"),
            std::string::npos)
      << error_of([&] { data::npy_table(o); });
  const std::string two_labels("\x00\x00\x00\x00\x01\x00\x00\x00", 8);
  o.y = file("y.npy", npy_bytes("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", two_labels));
  EXPECT_NE(error_of([&] { data::npy_table(o); }).find("zero.npy' has shape (2, 0)"), std::string::npos);
}

// The message of loading corpus/dataset_raw/NAME in both data modes (the same error expected).
std::string load_error(const std::string& name) {
  const std::string path = std::string(TANDEM_FUZZ_CORPUS) + "/dataset_raw/" + name;
  std::string memory, stream;
  try {
    data::Dataset::load(path, "train", 0, data::DataMode::kMemory);
  } catch (const Error& e) {
    memory = e.what();
  }
  try {
    data::Dataset::load(path, "train", 0, data::DataMode::kStream);
  } catch (const Error& e) {
    stream = e.what();
  }
  return memory == stream ? memory : "memory: " + memory + "; stream: " + stream;
}

TEST_F(FuzzRegressions, DatasetSamplesWithoutValuesAndEmptySubsets) {
  // Found by tests/fuzz/dataset_fuzz (corpus/dataset/regression-empty-subset): x [3, 0] loaded
  // as samples of no values, and a subset copied its no rows with memcpy to a null pointer.
  const std::string empty_samples = (dir_ / "empty-samples.h5").string();
  const std::vector<int32_t> y = {0, 1, 0};
  {
    io::H5File f(empty_samples, io::H5File::Mode::kCreate);
    f.write("/train/x", {3, 0}, static_cast<const float*>(nullptr));
    f.write("/train/y", {3}, y.data());
  }
  for (const auto mode : {data::DataMode::kMemory, data::DataMode::kStream})
    EXPECT_NE(error_of([&] {
                data::Dataset::load(empty_samples, "train", 0, mode);
              }).find("has shape [3, 0]: a sample needs at least one value"),
              std::string::npos);
  const std::string valid = (dir_ / "valid.h5").string();
  {
    io::H5File f(valid, io::H5File::Mode::kCreate);
    const std::vector<float> x = {1, 2, 3, 4, 5, 6};
    f.write("/train/x", {3, 2}, x.data());
    f.write("/train/y", {3}, y.data());
  }
  const auto d = data::Dataset::load(valid, "train");
  EXPECT_EQ(d.subset({}).size(), 0);
  // No rows asked for, into the null data() of empty vectors: nothing is copied (a memcpy to
  // null before, which UBSan reports in build-fuzz's fuzz_regression_tests).
  d.input_rows(0, nullptr, 0, 0, nullptr);
  d.target_rows(0, nullptr, 0, 0, nullptr, nullptr);
  const auto one = d.subset({2});
  float x[2];
  int32_t label = -1;
  one.rows(0, 1, x, &label);
  EXPECT_EQ(x[0], 5);
  EXPECT_EQ(x[1], 6);
  EXPECT_EQ(label, 0);
}

TEST(FuzzRegressionsH5, GroupMemberNameUnreadable) {
  // named-inputs.h5 with one byte changed (a link's name length): H5Lget_name_by_idx failed
  // with -1, which sized a string of 2^64 - 1 bytes (std::length_error).
  EXPECT_NE(load_error("regression-member-name-length.h5")
                .find("cannot read the member names of group '/train/y' in '"),
            std::string::npos)
      << load_error("regression-member-name-length.h5");
}

TEST(FuzzRegressionsH5, RowsWhoseSizeOverflows) {
  // images-chunked.h5 with bytes changed: /train/x claims [4, 1, 3458764513820540930, 2]
  // (a damaged dimension). Loading into memory multiplied rows by width unchecked (signed
  // overflow, UBSan) before sizing the buffer. The size is now checked there too, but the shape
  // is refused before: it is larger than the maximum shape stored with it.
  const std::string e = load_error("regression-rows-overflow.h5");
  EXPECT_NE(e.find("'/train/x' in '"), std::string::npos) << e;
  EXPECT_NE(e.find("is damaged: its shape [4, 1, 3458764513820540930, 2] is larger than its maximum shape "
                   "[4, 1, 2, 2]"),
            std::string::npos)
      << e;
}

TEST(FuzzRegressionsH5, ShapeBeyondItsMaximum) {
  // A damaged first dimension, 805,306,372 rows in a 15 KB file: the rows were allocated and
  // read (libhdf5 filling them from the 4 it holds) until the kernel killed the process at
  // 24 GiB, before the row counts of x and y were compared.
  const std::string e = load_error("regression-shape-beyond-maximum.h5");
  EXPECT_NE(
      e.find("is damaged: its shape [805306372, 1, 2, 2] is larger than its maximum shape [4, 1, 2, 2]; "
             "copy or convert the file again"),
      std::string::npos)
      << e;
}

TEST(FuzzRegressionsH5, ChunksBeyondTheShape) {
  // A damaged chunk shape (262,144 labels per chunk of a 4-label array): libhdf5 1.10.8 read
  // past its own buffer in H5Dread (heap-buffer-overflow; a segfault in other damaged files).
  // tandem now checks a chunk against the shape before libhdf5 reads it.
  const std::string e = load_error("regression-chunks-beyond-shape.h5");
  EXPECT_NE(e.find("'/train/y' in '"), std::string::npos) << e;
  EXPECT_NE(e.find("is damaged: its chunks [262144] do not fit its maximum shape [4]"), std::string::npos)
      << e;
}

std::string libhdf5_crash(const std::string& name) {
  return std::string(TANDEM_FUZZ_CORPUS) + "/../libhdf5-crashes/" + name;
}

TEST(FuzzRegressionsH5, AHeapLibhdf5NeverReturnsFromEndsWithAnError) {
  // A damaged global heap under the class names: libhdf5 1.10.8 loops forever in H5HG_read
  // (h5dump -a /classes hangs too). tandem's guard on the read ends the process with exit 1.
  ::setenv("TANDEM_METADATA_DEADLINE", "1", 1);
  EXPECT_EXIT(
      data::Dataset::load(libhdf5_crash("dataset_raw-hang-in-H5HG_read.h5"), "train"),
      ::testing::ExitedWithCode(1),
      "tandem: error: reading attribute 'classes' on '/' in '.*dataset_raw-hang-in-H5HG_read.h5': libhdf5 "
      "has not returned after 1 s; the file is damaged");
  ::unsetenv("TANDEM_METADATA_DEADLINE");
}

TEST(FuzzRegressionsH5, AHeapLibhdf5AllocatesWithoutEndForEndsWithAnError) {
  // A damaged local heap of a group: libhdf5 1.10.8 extends its free list without end while
  // looking up '/train/x' (about 1 GiB/s here) until the OOM killer ended tandem at 24 GiB.
  ::setenv("TANDEM_METADATA_MEMORY_MB", "64", 1);
  EXPECT_EXIT(
      data::Dataset::load(libhdf5_crash("dataset_raw-endless-allocation-in-H5HL.h5"), "train"),
      ::testing::ExitedWithCode(1),
      "tandem: error: looking up '/train/x' in '.*dataset_raw-endless-allocation-in-H5HL.h5': libhdf5 took "
      "more than 64 MiB of memory; the file is damaged");
  ::unsetenv("TANDEM_METADATA_MEMORY_MB");
}

TEST(FuzzRegressionsH5, AChunkLayoutLibhdf5DividesByZeroOnNamesTheFile) {
  // A damaged chunk layout: libhdf5 1.10.8 divides by zero in H5D__chunk_set_info while opening
  // '/train/y', before tandem can look at the layout. The guard's message comes first, then
  // the signal goes on.
  EXPECT_EXIT(
      {
        testing::use_default_action(SIGFPE);
        data::Dataset::load(libhdf5_crash("dataset_raw-divide-by-zero-in-H5D__chunk_set_info.h5"), "train");
      },
      ::testing::KilledBySignal(SIGFPE),
      "tandem: error: reading the shape and layout of '/train/y' in "
      "'.*dataset_raw-divide-by-zero-in-H5D__chunk_set_info.h5': libhdf5 "
      "crashed \\(an arithmetic fault\\); the file is damaged");
}

}  // namespace
}  // namespace tandem
