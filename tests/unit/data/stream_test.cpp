// Streamed inputs (--data-mode stream) against the same split in memory: rows in any order
// with repeats, contiguous rows, subsets of subsets, uint8 (scaled) and float32 arrays, a group
// of two inputs, chunked-and-compressed and contiguous files; each distinct row of a call read
// once; every row of an epoch's batches read exactly once; a dataset split over several files
// read as one; auto mode choosing by the budget.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <numeric>
#include <vector>

#include "tandem/core/error.hpp"
#include "tandem/data/dataset.hpp"
#include "tandem/data/sampler.hpp"
#include "tandem/data/shards.hpp"
#include "tandem/io/h5.hpp"
#include "tandem/io/row_reader.hpp"

namespace tandem {
namespace {

constexpr int64_t kRows = 37;

std::vector<float> rows(const data::Dataset& d, int input, const std::vector<int64_t>& idx) {
  std::vector<float> out(idx.size() * d.inputs()[input].width());
  d.input_rows(input, idx.data(), 0, static_cast<int64_t>(idx.size()), out.data());
  return out;
}
std::vector<float> range(const data::Dataset& d, int input, int64_t begin, int64_t n) {
  std::vector<float> out(n * d.inputs()[input].width());
  d.input_rows(input, nullptr, begin, n, out.data());
  return out;
}

class Stream : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tandem_stream_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // /train/x uint8 [kRows, 2, 3] with scale 1/255 (chunked by 4 rows and compressed, or
  // contiguous), /train/y int32 [kRows]; with `group`, /train/x/a that and /train/x/b float32
  // [kRows, 5].
  std::string write(const std::string& name, int64_t chunk_rows, bool group = false) {
    const auto path = (dir_ / name).string();
    io::H5File f(path, io::H5File::Mode::kCreate);
    std::vector<uint8_t> x(kRows * 6);
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<uint8_t>((i * 37 + 11) % 251);
    std::vector<int32_t> y(kRows);
    for (int64_t i = 0; i < kRows; ++i) y[i] = static_cast<int32_t>(i % 3);
    const std::string xs = group ? "/train/x/a" : "/train/x";
    f.write(xs, {kRows, 2, 3}, x.data(), chunk_rows);
    f.set_attr(xs, "scale", 1.0 / 255);
    if (group) {
      std::vector<float> b(kRows * 5);
      for (size_t i = 0; i < b.size(); ++i) b[i] = 0.25f * static_cast<float>(i) - 3.0f;
      f.write("/train/x/b", {kRows, 5}, b.data(), chunk_rows);
    }
    f.write("/train/y", {kRows}, y.data(), chunk_rows);
    f.set_attr("/", "classes", std::vector<std::string>{"zero", "one", "two"});
    return path;
  }

  void check_reads(const std::string& path);
  std::filesystem::path dir_;
};

void expect_same_rows(const data::Dataset& mem, const data::Dataset& str) {
  ASSERT_TRUE(str.streamed());
  ASSERT_FALSE(mem.streamed());
  ASSERT_EQ(mem.size(), str.size());
  const std::vector<int64_t> idx{5, 0, 36 % mem.size(), 5, 6, 7, 1, 2, 3, 20, 19, 0};
  for (int i = 0; i < static_cast<int>(mem.inputs().size()); ++i) {
    SCOPED_TRACE(i);
    std::vector<int64_t> in_range;
    for (int64_t r : idx) in_range.push_back(r % mem.size());
    EXPECT_EQ(rows(mem, i, in_range), rows(str, i, in_range));
    EXPECT_EQ(range(mem, i, 1, mem.size() - 1), range(str, i, 1, str.size() - 1));
  }
  EXPECT_EQ(mem.labels(), str.labels());
}

TEST_F(Stream, RowsEqualMemoryInAnyOrderForChunkedAndContiguousFiles) {
  for (int64_t chunk : {int64_t{4}, int64_t{0}}) {
    SCOPED_TRACE(chunk);
    const auto path = write("d" + std::to_string(chunk) + ".h5", chunk);
    const auto streamed = data::Dataset::load(path, "train", 0, data::DataMode::kStream);
    EXPECT_EQ(streamed.inputs()[0].reader->direct(), chunk == 0) << "pread for a contiguous array";
    expect_same_rows(data::Dataset::load(path, "train"), streamed);
    expect_same_rows(data::Dataset::load(path, "train", 30),
                     data::Dataset::load(path, "train", 30, data::DataMode::kStream));
  }
}

TEST_F(Stream, GroupsOfInputsAndSubsetsOfSubsets) {
  const auto path = write("g.h5", 8, true);
  const auto mem = data::Dataset::load(path, "train");
  const auto str = data::Dataset::load(path, "train", 0, data::DataMode::kStream);
  ASSERT_EQ(str.inputs().size(), 2u);
  expect_same_rows(mem, str);
  const std::vector<int64_t> outer{30, 2, 17, 4, 9, 11, 25, 0, 36, 13, 21};
  const std::vector<int64_t> inner{10, 0, 3, 7, 5};
  expect_same_rows(mem.subset(outer), str.subset(outer));
  expect_same_rows(mem.subset(outer).subset(inner), str.subset(outer).subset(inner));
  const auto sub = str.subset(outer);
  EXPECT_THROW(range(sub, 0, 5, 7), Error) << "a subset has only its own rows";
}

TEST_F(Stream, EachDistinctRowOfACallIsReadOnce) {
  for (int64_t chunk : {int64_t{4}, int64_t{0}}) {
    SCOPED_TRACE(chunk);
    check_reads(write("r" + std::to_string(chunk) + ".h5", chunk));
  }
}

void Stream::check_reads(const std::string& path) {
  io::RowReader reader(path, "/train/x");
  EXPECT_EQ(reader.rows(), kRows);
  EXPECT_EQ(reader.row_bytes(), 6);
  std::vector<uint8_t> a(6 * 6), b(6 * 6);
  const int64_t idx[6] = {9, 3, 9, 4, 5, 3};  // runs {3, 4, 5} and {9}
  reader.read(idx, 6, a.data());
  EXPECT_EQ(reader.rows_read(), 4);
  for (int i = 0; i < 6; ++i) {
    reader.read_range(idx[i], 1, b.data() + 6 * i);
    EXPECT_TRUE(std::equal(a.begin() + 6 * i, a.begin() + 6 * i + 6, b.begin() + 6 * i)) << i;
  }
  const int64_t bad[1] = {kRows};
  EXPECT_THROW(reader.read(bad, 1, a.data()), Error);
  EXPECT_THROW(io::RowReader(path, "/train/nothing"), Error);
}

// The sampler's batches of an epoch, dealt to 3 ranks, each rank streaming its shares: every
// row comes from the file exactly once, with the values memory mode gives.
TEST_F(Stream, AnEpochReadsEveryRowExactlyOnce) {
  const auto path = write("e.h5", 4);
  const auto mem = data::Dataset::load(path, "train");
  std::vector<data::Dataset> ranks;
  for (int r = 0; r < 3; ++r) ranks.push_back(data::Dataset::load(path, "train", 0, data::DataMode::kStream));
  data::Sampler sampler(mem.labels(), 8, 1);
  sampler.start_epoch(2);
  std::vector<int> seen(kRows, 0);
  for (int64_t b = 0; b < sampler.batches(); ++b)
    for (int r = 0; r < 3; ++r) {
      const auto shard = sampler.shard(b, r, 3);
      const std::vector<int64_t> ids(shard.begin(), shard.end());
      EXPECT_EQ(rows(ranks[r], 0, ids), rows(mem, 0, ids));
      for (int64_t id : ids) ++seen[id];
    }
  for (int64_t i = 0; i < kRows; ++i) EXPECT_EQ(seen[i], 1) << i;
  int64_t read = 0;
  for (const auto& d : ranks) read += d.inputs()[0].reader->rows_read();
  EXPECT_EQ(read, kRows);
}

// The same rows split over three files (one chunked and compressed, two contiguous), named
// by a list and by a glob, read as one in memory and streamed, across the files' boundaries.
TEST_F(Stream, ShardsReadAsOneDataset) {
  const auto whole = write("whole.h5", 0);
  const auto all = data::Dataset::load(whole, "train");
  const int64_t bounds[4] = {0, 15, 25, kRows};
  std::vector<std::string> parts;
  for (int p = 0; p < 3; ++p) {
    parts.push_back((dir_ / ("part-" + std::to_string(p) + ".h5")).string());
    io::H5File f(parts.back(), io::H5File::Mode::kCreate);
    const int64_t n = bounds[p + 1] - bounds[p];
    std::vector<uint8_t> x(n * 6);
    std::vector<int32_t> y(all.labels().begin() + bounds[p], all.labels().begin() + bounds[p + 1]);
    const auto rows = range(all, 0, bounds[p], n);  // x * scale: back to the stored bytes
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<uint8_t>(std::lround(rows[i] * 255));
    f.write("/train/x", {n, 2, 3}, x.data(), p == 1 ? 4 : 0);
    f.set_attr("/train/x", "scale", 1.0 / 255);
    f.write("/train/y", {n}, y.data());
  }
  const std::string list = parts[0] + "," + parts[1] + "," + parts[2];
  const std::string glob = (dir_ / "part-*.h5").string();
  EXPECT_EQ(io::dataset_files(glob), parts);
  for (const auto& spec : {list, glob}) {
    SCOPED_TRACE(spec);
    const auto mem = data::Dataset::load(spec, "train");
    const auto str = data::Dataset::load(spec, "train", 0, data::DataMode::kStream);
    EXPECT_FALSE(str.inputs()[0].reader->direct()) << "one part is chunked";
    expect_same_rows(all, str);
    expect_same_rows(mem, str);
    EXPECT_EQ(range(all, 0, 10, 20), range(str, 0, 10, 20)) << "rows of all three files";
    EXPECT_EQ(data::Dataset::input_bytes(spec, "train", 20), 20 * 6);
  }
  EXPECT_THROW(io::dataset_files((dir_ / "none-*.h5").string()), UsageError);
  {  // a third file whose samples are [3, 2], not [2, 3]
    io::H5File f(parts[2], io::H5File::Mode::kCreate);
    f.write("/train/x", {2, 3, 2}, std::vector<uint8_t>(12).data());
    f.write("/train/y", {2}, std::vector<int32_t>(2).data());
  }
  try {
    data::Dataset::load(list, "train", 0, data::DataMode::kStream);
    ADD_FAILURE() << "files of two layouts were read as one";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("part-2.h5' differs in type, sample shape or scale"),
              std::string::npos)
        << e.what();
  }
}

// convert shards: the files read in order are the dataset again (a group of two inputs), their
// arrays contiguous (read directly when streamed), the class names and scale kept.
TEST_F(Stream, ShardsWrittenByConvertAreTheDatasetAgain) {
  const auto with_classes = write("classes.h5", 4, true);
  const auto files = data::write_shards(with_classes, 4, (dir_ / "sh").string());
  ASSERT_EQ(files.size(), 4u);
  EXPECT_EQ(files[0], (dir_ / "sh-0.h5").string());
  const auto all = data::Dataset::load(with_classes, "train");
  const auto str = data::Dataset::load((dir_ / "sh-*.h5").string(), "train", 0, data::DataMode::kStream);
  EXPECT_TRUE(str.inputs()[0].reader->direct() && str.inputs()[1].reader->direct());
  expect_same_rows(all, str);
  EXPECT_EQ(str.inputs()[0].scale, all.inputs()[0].scale);
  EXPECT_EQ(str.class_names(), (std::vector<std::string>{"zero", "one", "two"}));
  EXPECT_THROW(data::write_shards(with_classes, kRows + 1, (dir_ / "too").string()), UsageError);
}

TEST_F(Stream, AutoStreamsWhatExceedsTheBudget) {
  const auto path = write("a.h5", 0);
  EXPECT_EQ(data::Dataset::input_bytes(path, "train", 0), kRows * 6);
  EXPECT_EQ(data::Dataset::input_bytes(path, "train", 10), 60);
  EXPECT_FALSE(data::Dataset::load(path, "train", 0, data::DataMode::kAuto, 1).streamed());
  EXPECT_TRUE(data::Dataset::load(path, "train", 0, data::DataMode::kAuto, 0).streamed());
}

}  // namespace
}  // namespace tandem
