// tandem convert csv and npy: what lands in the dataset (values, classes, splits), and errors
// naming the line, column or element.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "tandem/core/error.hpp"
#include "tandem/data/csv_import.hpp"
#include "tandem/data/dataset.hpp"
#include "tandem/data/npy.hpp"

namespace tandem {
namespace {

class Convert : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tandem_convert_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string file(const std::string& name, const std::string& text) const {
    const auto p = (dir_ / name).string();
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  // A .npy file: version 1 header for `descr` and `shape`, then the raw bytes.
  std::string npy(const std::string& name, const std::string& descr, const std::string& shape,
                  const void* data, size_t bytes, bool fortran = false) const {
    std::string header = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") +
                         ", 'shape': " + shape + ", }";
    while ((10 + header.size() + 1) % 64) header += ' ';
    header += '\n';
    std::string out("\x93NUMPY\x01\x00", 8);
    out += static_cast<char>(header.size() & 0xff);
    out += static_cast<char>(header.size() >> 8);
    out += header;
    out.append(static_cast<const char*>(data), bytes);
    return file(name, out);
  }
  static std::string error_of(const std::function<void()>& f) {
    try {
      f();
    } catch (const UsageError& e) {
      return e.what();
    }
    return "(no error)";
  }
  std::filesystem::path dir_;
};

TEST_F(Convert, CsvNamedLabelsAndAStratifiedTestFraction) {
  std::string text = "f1, f2 ,species\n";
  for (int i = 0; i < 20; ++i)
    text += std::to_string(i) + "," + std::to_string(0.5 * i) + "," + (i % 2 ? "\"setosa, wild\"" : "iris") +
            "\n";
  data::CsvOptions o;
  o.header = true;
  o.label_column = "species";
  o.test_fraction = 0.3;
  const auto t = data::read_csv(file("a.csv", text), o);
  EXPECT_EQ(t.classes, (std::vector<std::string>{"iris", "setosa, wild"}));  // sorted names
  EXPECT_EQ(t.sample_shape, (std::vector<int64_t>{2}));
  const auto& test = t.splits.at("test");
  ASSERT_EQ(test.rows, 6);  // 3 of each class's 10
  EXPECT_EQ(std::count(test.labels.begin(), test.labels.end(), 0), 3);
  EXPECT_EQ(t.splits.at("train").rows, 14);
  for (int64_t r = 0; r < test.rows; ++r) {  // rows stay whole: f2 = f1 / 2, the label f1's parity
    EXPECT_EQ(test.x[2 * r + 1], 0.5f * test.x[2 * r]);
    EXPECT_EQ(test.labels[r], static_cast<int32_t>(test.x[2 * r]) % 2);
  }
  data::write_table(t, path("a.h5"));
  const auto d = data::Dataset::load(path("a.h5"), "train");
  EXPECT_EQ(d.class_names(), t.classes);
  EXPECT_EQ(d.size(), 14);
}

TEST_F(Convert, CsvIntegerLabelsByColumnNumberAndASplitColumn) {
  const auto p = file("b.csv", "2,1.5,train\n0,-2,test\n1,3e2,TRAIN\n\n2,4,val\n");
  data::CsvOptions o;
  o.label_column = "0";
  o.split_column = "2";
  const auto t = data::read_csv(p, o);
  EXPECT_EQ(t.classes, (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(t.splits.at("train").x, (std::vector<float>{1.5f, 300.0f}));
  EXPECT_EQ(t.splits.at("train").labels, (std::vector<int32_t>{2, 1}));
  EXPECT_EQ(t.splits.at("test").labels, (std::vector<int32_t>{0}));
  EXPECT_EQ(t.splits.at("val").rows, 1);
}

TEST_F(Convert, CsvErrorsNameTheLineAndColumn) {
  data::CsvOptions o;
  o.header = true;
  o.label_column = "y";
  o.test_fraction = 0.5;
  const auto bad_number = file("c.csv", "a,b,y\n1,2,x\n1,two,z\n");
  EXPECT_NE(error_of([&] {
              data::read_csv(bad_number, o);
            }).find("c.csv:3: column 'b': 'two' is not a finite number"),
            std::string::npos);
  const auto short_row = file("d.csv", "a,b,y\n1,2,x\n1,z\n");
  EXPECT_NE(error_of([&] { data::read_csv(short_row, o); }).find("d.csv:3: 2 fields, expected 3"),
            std::string::npos);
  o.label_column = "label";
  EXPECT_NE(error_of([&] {
              data::read_csv(bad_number, o);
            }).find("neither a column name nor number (3 columns: a, b, y)"),
            std::string::npos);
  o.label_column = "y";
  o.test_fraction = 0;
  EXPECT_NE(error_of([&] { data::read_csv(bad_number, o); }).find("--test-fraction F or --split-column NAME"),
            std::string::npos);
  o.split_column = "a";
  EXPECT_NE(error_of([&] {
              data::read_csv(file("e.csv", "a,b,y\nsomewhere,1,x\n"), o);
            }).find("e.csv:2: split 'somewhere' is not train, test or val"),
            std::string::npos);
}

TEST_F(Convert, NpyAnyNumericTypeAndShape) {
  const uint8_t x[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255};
  const int64_t y[2] = {1, 0};
  float big[6];
  for (int i = 0; i < 6; ++i) {  // big-endian float32: 0.5 i
    const float v = 0.5f * static_cast<float>(i);
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    bits = __builtin_bswap32(bits);
    std::memcpy(&big[i], &bits, 4);
  }
  const int32_t ty[1] = {3};
  data::NpyOptions o;
  o.x = npy("x.npy", "|u1", "(2, 2, 3)", x, sizeof x);
  o.y = npy("y.npy", "<i8", "(2,)", y, sizeof y);
  o.test_x = npy("tx.npy", ">f4", "(1, 2, 3)", big, sizeof big);
  o.test_y = npy("ty.npy", "<i4", "(1,)", ty, sizeof ty);
  const auto t = data::npy_table(o);
  EXPECT_EQ(t.sample_shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(t.splits.at("train").x.back(), 255.0f);
  EXPECT_EQ(t.splits.at("train").labels, (std::vector<int32_t>{1, 0}));
  EXPECT_EQ(t.splits.at("test").x, (std::vector<float>{0, 0.5f, 1, 1.5f, 2, 2.5f}));
  EXPECT_EQ(t.classes.size(), 4u);  // 0..3 over both splits
  // Float targets [N, K] are vector targets; a fraction makes the test split.
  const double targets[4] = {0.25, 1, 0, 0.5};
  o.y = npy("yf.npy", "<f8", "(2, 2)", targets, sizeof targets);
  o.test_x = o.test_y = "";
  o.test_fraction = 0.5;
  const auto v = data::npy_table(o);
  EXPECT_EQ(v.target_width, 2);
  EXPECT_TRUE(v.classes.empty());
  EXPECT_EQ(v.splits.at("train").rows + v.splits.at("test").rows, 2);
}

TEST_F(Convert, NpyErrorsNameTheFileAndElement) {
  const float x[4] = {1, 2, 3, 4};
  const int32_t y[2] = {0, -1};
  data::NpyOptions o;
  o.x = npy("x.npy", "<f4", "(2, 2)", x, sizeof x);
  o.y = npy("y.npy", "<i4", "(2,)", y, sizeof y);
  o.test_fraction = 0.5;
  EXPECT_NE(error_of([&] { data::npy_table(o); }).find("y.npy' element 1 is -1"), std::string::npos);
  o.y = npy("y3.npy", "<i4", "(1,)", y, 4);
  EXPECT_NE(error_of([&] { data::npy_table(o); }).find("has 2 rows but"), std::string::npos);
  o.x = npy("xf.npy", "<f4", "(2, 2)", x, sizeof x, true);
  EXPECT_NE(error_of([&] { data::npy_table(o); }).find("Fortran order"), std::string::npos);
  o.x = npy("xc.npy", "<c8", "(1, 2)", x, sizeof x);
  EXPECT_NE(error_of([&] { data::npy_table(o); }).find("dtype '<c8' is not supported"), std::string::npos);
  o.x = npy("xs.npy", "<f4", "(3, 2)", x, sizeof x);  // 6 floats promised, 4 stored
  EXPECT_NE(error_of([&] { data::npy_table(o); }).find("is shorter than its shape"), std::string::npos);
  o.x = file("x.txt", "1,2\n3,4\n");
  EXPECT_NE(error_of([&] { data::npy_table(o); }).find("is not a .npy file"), std::string::npos);
}

}  // namespace
}  // namespace tandem
