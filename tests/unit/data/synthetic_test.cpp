// tandem convert synthetic: class counts (uniform and Zipf), byte-for-byte determinism, that
// the task is learnable (nearest class mean on the test split, computed here), long class lists
// in the file, and errors naming the option.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>

#include "tandem/core/error.hpp"
#include "tandem/data/dataset.hpp"
#include "tandem/data/synthetic.hpp"

namespace tandem {
namespace {

class Synthetic : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tandem_synthetic_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  static std::string bytes(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  std::filesystem::path dir_;
};

data::SyntheticOptions options(int64_t classes, int64_t features, int64_t train, int64_t test) {
  data::SyntheticOptions o;
  o.classes = classes, o.features = features, o.train_per_class = train, o.test_per_class = test;
  return o;
}

std::vector<int64_t> histogram(const std::vector<int32_t>& labels, int64_t classes) {
  std::vector<int64_t> h(static_cast<size_t>(classes), 0);
  for (const int32_t y : labels) ++h.at(static_cast<size_t>(y));
  return h;
}

TEST_F(Synthetic, UniformCountsAndRowsAreThePrototypePlusNoise) {
  auto o = options(7, 5, 30, 4);
  o.noise = 0.25;
  const auto t = data::synthetic_table(o);
  EXPECT_EQ(t.sample_shape, (std::vector<int64_t>{5}));
  ASSERT_EQ(t.classes.size(), 7u);
  EXPECT_EQ(t.classes[6], "c6");
  const auto& train = t.splits.at("train");
  const auto& test = t.splits.at("test");
  EXPECT_EQ(train.rows, 210);
  EXPECT_EQ(test.rows, 28);
  EXPECT_EQ(histogram(train.labels, 7), std::vector<int64_t>(7, 30));
  EXPECT_EQ(histogram(test.labels, 7), std::vector<int64_t>(7, 4));
  EXPECT_NE(std::vector<int32_t>(train.labels.begin(), train.labels.begin() + 30),
            std::vector<int32_t>(30, 0));  // a shuffled order, not class by class
  // Residuals x - prototype(label): mean 0, standard deviation 0.25 (1,050 values).
  double sum = 0, sum2 = 0;
  for (int64_t r = 0; r < train.rows; ++r) {
    const auto p = data::synthetic_prototype(o, train.labels[r]);
    for (int64_t k = 0; k < 5; ++k) {
      const double e = train.x[r * 5 + k] - p[k];
      sum += e, sum2 += e * e;
    }
  }
  const double n = 210.0 * 5;
  EXPECT_NEAR(sum / n, 0.0, 4 * 0.25 / std::sqrt(n));
  EXPECT_NEAR(std::sqrt(sum2 / n), 0.25, 0.25 * 0.1);
}

TEST_F(Synthetic, ZipfCountsFallOffAsOneOverRankAndTheTestSplitStaysUniform) {
  auto o = options(1000, 2, 20, 1);
  o.zipf = 1.0;
  const auto counts = data::synthetic_train_counts(o);
  // Independently: n_c = max(1, round(C N / H_C / (c + 1))), H_C the C-th harmonic number.
  double harmonic = 0;
  for (int k = 1; k <= 1000; ++k) harmonic += 1.0 / k;
  int64_t total = 0;
  for (int c = 0; c < 1000; ++c) {
    const auto expected = std::max<int64_t>(1, std::llround(20000.0 / harmonic / (c + 1)));
    EXPECT_EQ(counts[c], expected) << "class " << c;
    total += counts[c];
  }
  EXPECT_EQ(counts[0], 2672);  // 20000 / 7.4855 (H_1000)
  EXPECT_EQ(counts[999], 3);
  EXPECT_NEAR(static_cast<double>(total), 20000.0, 20000.0 * 0.02);
  const auto t = data::synthetic_table(o);
  EXPECT_EQ(histogram(t.splits.at("train").labels, 1000), counts);
  EXPECT_EQ(histogram(t.splits.at("test").labels, 1000), std::vector<int64_t>(1000, 1));
  // Steeper: the tail gets the floor of one sample each.
  o.zipf = 2.0;
  const auto steep = data::synthetic_train_counts(o);
  EXPECT_EQ(steep[999], 1);
  EXPECT_GT(steep[0], 10000);
}

TEST_F(Synthetic, TheSameOptionsGiveTheSameBytes) {
  auto o = options(50, 8, 3, 2);
  o.zipf = 0.5, o.noise = 0.7, o.seed = 11;
  data::write_table(data::synthetic_table(o), path("a.h5"));
  data::write_table(data::synthetic_table(o), path("b.h5"));
  EXPECT_EQ(bytes(path("a.h5")), bytes(path("b.h5")));
  o.seed = 12;
  data::write_table(data::synthetic_table(o), path("c.h5"));
  EXPECT_NE(bytes(path("a.h5")), bytes(path("c.h5")));
  // The prototypes depend on the seed and the class only, not on the other options.
  auto other = options(5000, 8, 1, 1);
  other.seed = 11, other.noise = 3, other.zipf = 2;
  o.seed = 11;
  EXPECT_EQ(data::synthetic_prototype(o, 3), data::synthetic_prototype(other, 3));
  EXPECT_NE(data::synthetic_prototype(o, 3), data::synthetic_prototype(o, 4));
}

TEST_F(Synthetic, NearestClassMeanClassifiesTheTestSplitForSmallNoise) {
  // The task is learnable: class means of the training rows (computed here, from the file)
  // classify nearly every test row; with noise far above the prototypes' spread they cannot.
  for (const double noise : {0.3, 4.0}) {
    auto o = options(300, 16, 10, 5);
    o.noise = noise;
    data::write_table(data::synthetic_table(o), path("l.h5"));
    const auto train = data::Dataset::load(path("l.h5"), "train");
    const auto test = data::Dataset::load(path("l.h5"), "test");
    ASSERT_EQ(train.size(), 3000);
    ASSERT_EQ(test.size(), 1500);
    std::vector<float> x(static_cast<size_t>(train.size() * 16));
    std::vector<int32_t> y(static_cast<size_t>(train.size()));
    train.rows(0, train.size(), x.data(), y.data());
    std::vector<double> mean(300 * 16, 0.0);
    for (int64_t r = 0; r < train.size(); ++r)
      for (int k = 0; k < 16; ++k) mean[y[r] * 16 + k] += x[r * 16 + k] / 10.0;
    std::vector<float> tx(static_cast<size_t>(test.size() * 16));
    std::vector<int32_t> ty(static_cast<size_t>(test.size()));
    test.rows(0, test.size(), tx.data(), ty.data());
    int64_t right = 0;
    for (int64_t r = 0; r < test.size(); ++r) {
      double best = std::numeric_limits<double>::max();
      int32_t guess = -1;
      for (int32_t c = 0; c < 300; ++c) {
        double d2 = 0;
        for (int k = 0; k < 16; ++k) d2 += std::pow(tx[r * 16 + k] - mean[c * 16 + k], 2);
        if (d2 < best) best = d2, guess = c;
      }
      right += guess == ty[r];
    }
    const double accuracy = static_cast<double>(right) / static_cast<double>(test.size());
    if (noise < 1)
      EXPECT_GT(accuracy, 0.99) << "noise " << noise;
    else
      EXPECT_LT(accuracy, 0.2) << "noise " << noise;
  }
}

TEST_F(Synthetic, OneHundredThousandClassNamesFitTheFile) {
  // Longer than the 64 KiB an attribute may take in an HDF5 object header of the 1.6 format.
  const auto o = options(100000, 1, 1, 1);
  data::write_table(data::synthetic_table(o), path("big.h5"));
  const auto d = data::Dataset::load(path("big.h5"), "test");
  EXPECT_EQ(d.size(), 100000);
  ASSERT_EQ(d.class_names().size(), 100000u);
  EXPECT_EQ(d.class_names()[99999], "c99999");
}

TEST_F(Synthetic, BadValuesNameTheOption) {
  const auto message = [](const data::SyntheticOptions& o) {
    try {
      data::check_synthetic(o);
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message(options(1, 4, 1, 1)).find("--classes must be in [2"), std::string::npos);
  EXPECT_NE(message(options(10, 0, 1, 1)).find("--features"), std::string::npos);
  EXPECT_NE(message(options(10, 4, 0, 1)).find("--train-per-class"), std::string::npos);
  EXPECT_NE(message(options(10, 4, 1, 0)).find("--test-per-class"), std::string::npos);
  auto o = options(10, 4, 1, 1);
  o.noise = -1;
  EXPECT_NE(message(o).find("--noise"), std::string::npos);
  o.noise = std::nan("");
  EXPECT_NE(message(o).find("--noise"), std::string::npos);
  o.noise = 1, o.zipf = -0.5;
  EXPECT_NE(message(o).find("--zipf"), std::string::npos);
  o.zipf = 0;
  EXPECT_EQ(message(o), "no error");
  EXPECT_THROW(data::synthetic_table(options(10, 4, 1, 0)), UsageError);
}

}  // namespace
}  // namespace tandem
