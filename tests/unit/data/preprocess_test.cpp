// Preprocessing statistics against a direct double-precision computation, whitening against
// its defining property (identity covariance), and the statistics' trip through a model file.
#include <gtest/gtest.h>

#include <unistd.h>
#include <cmath>

#include <filesystem>
#include <vector>

#include "tandem/core/error.hpp"
#include "tandem/core/rng.hpp"
#include "tandem/data/preprocess.hpp"
#include "tandem/io/h5.hpp"
#include "tandem/io/model_file.hpp"
#include "tandem/model/spec.hpp"

namespace tandem {
namespace {

constexpr int64_t kRows = 400;

// Correlated features of different scales and offsets: x = A z + b, z standard normal.
class Data {
 public:
  explicit Data(std::vector<int64_t> sample) : sample_(sample) {
    const int64_t d = Shape(sample).numel();
    path_ = (std::filesystem::temp_directory_path() / ("tandem_pre_" + std::to_string(::getpid()) + ".h5"))
                .string();
    Philox rng(11, RngPurpose::kInit);
    std::vector<double> a(d * d);
    for (auto& v : a) v = rng.normal();
    x_.resize(kRows * d);
    std::vector<double> z(d);
    for (int64_t r = 0; r < kRows; ++r) {
      for (auto& v : z) v = rng.normal();
      for (int64_t i = 0; i < d; ++i) {
        double s = 3.0 * i - 4.0;
        for (int64_t k = 0; k < d; ++k) s += a[i * d + k] * z[k] * (1 + i % 3);
        x_[r * d + i] = static_cast<float>(s);
      }
    }
    std::vector<int64_t> dims{kRows};
    dims.insert(dims.end(), sample.begin(), sample.end());
    std::vector<int32_t> y(kRows, 0);
    io::H5File f(path_, io::H5File::Mode::kCreate);
    f.write("/train/x", dims, x_.data());
    f.write("/train/y", {kRows}, y.data());
  }
  ~Data() { std::filesystem::remove(path_); }
  data::Dataset load() const { return data::Dataset::load(path_, "train"); }
  const std::vector<float>& x() const { return x_; }

 private:
  std::vector<int64_t> sample_;
  std::string path_;
  std::vector<float> x_;
};

model::Preprocessing fit(const data::Dataset& d, const std::string& mode, double eps = 0) {
  dist::LocalComm comm;
  return data::fit_preprocessing(d, parse_enum<model::PreprocessMode>(mode, "--preprocess"), eps, comm);
}

// Covariance of the rows of x [rows, d] in double.
std::vector<double> covariance(const std::vector<float>& x, int64_t d) {
  const int64_t n = static_cast<int64_t>(x.size()) / d;
  std::vector<double> mean(d, 0), c(d * d, 0);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t j = 0; j < d; ++j) mean[j] += x[r * d + j] / static_cast<double>(n);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t i = 0; i < d; ++i)
      for (int64_t j = 0; j < d; ++j) c[i * d + j] += (x[r * d + i] - mean[i]) * (x[r * d + j] - mean[j]) / n;
  return c;
}

TEST(Preprocess, PerFeatureStandardizationMatchesDirectStatistics) {
  Data data({6});
  const auto p = fit(data.load(), "standardize");
  const auto c = covariance(data.x(), 6);
  for (int64_t j = 0; j < 6; ++j) {
    double mean = 0;
    for (int64_t r = 0; r < kRows; ++r) mean += data.x()[r * 6 + j];
    mean /= kRows;
    EXPECT_NEAR(p.mean[j], mean, 1e-5 * (1 + std::abs(mean)));
    EXPECT_NEAR(p.scale[j], 1 / std::sqrt(c[j * 6 + j]), 1e-5 / std::sqrt(c[j * 6 + j]));
  }
  // Applied: every feature has mean 0 and variance 1.
  auto x = data.x();
  auto q = p;
  q.apply(x.data(), kRows);
  const auto after = covariance(x, 6);
  for (int64_t j = 0; j < 6; ++j) EXPECT_NEAR(after[j * 6 + j], 1.0, 1e-4);
}

TEST(Preprocess, GlobalAndPerChannelStatisticsPoolTheirFeatures) {
  Data data({2, 3});  // 2 channels of 3 features
  const auto& x = data.x();
  for (const std::string mode : {"standardize_global", "standardize_channel"}) {
    SCOPED_TRACE(mode);
    const auto p = fit(data.load(), mode);
    const int64_t groups = mode == "standardize_global" ? 1 : 2, width = 6 / groups;
    for (int64_t g = 0; g < groups; ++g) {
      double s = 0, sq = 0;
      const double n = static_cast<double>(kRows * width);
      for (int64_t r = 0; r < kRows; ++r)
        for (int64_t j = g * width; j < (g + 1) * width; ++j) s += x[r * 6 + j];
      const double mean = s / n;
      for (int64_t r = 0; r < kRows; ++r)
        for (int64_t j = g * width; j < (g + 1) * width; ++j)
          sq += (x[r * 6 + j] - mean) * (x[r * 6 + j] - mean);
      const double sd = std::sqrt(sq / n);
      for (int64_t j = g * width; j < (g + 1) * width; ++j) {
        EXPECT_NEAR(p.mean[j], mean, 1e-5 * (1 + std::abs(mean)));
        EXPECT_NEAR(p.scale[j], 1 / sd, 1e-5 / sd);
      }
    }
  }
}

TEST(Preprocess, CenteringSubtractsTheMeanOnly) {
  Data data({4});
  auto p = fit(data.load(), "center");
  EXPECT_TRUE(p.scale.empty());
  auto x = data.x();
  p.apply(x.data(), kRows);
  for (int64_t j = 0; j < 4; ++j) {
    double m = 0;
    for (int64_t r = 0; r < kRows; ++r) m += x[r * 4 + j];
    EXPECT_NEAR(m / kRows, 0.0, 1e-4);
  }
}

TEST(Preprocess, WhitenedDataHasIdentityCovariance) {
  Data data({8});
  for (const std::string mode : {"pca_whiten", "zca_whiten"}) {
    SCOPED_TRACE(mode);
    auto p = fit(data.load(), mode, 1e-9);
    auto x = data.x();
    p.apply(x.data(), kRows);
    const auto c = covariance(x, 8);
    for (int64_t i = 0; i < 8; ++i)
      for (int64_t j = 0; j < 8; ++j) EXPECT_NEAR(c[i * 8 + j], i == j ? 1.0 : 0.0, 2e-3) << i << "," << j;
  }
}

TEST(Preprocess, ZcaIsSymmetricAndPcaOrdersComponentsByVariance) {
  Data data({5});
  const auto zca = fit(data.load(), "zca_whiten", 1e-9);
  for (int64_t i = 0; i < 5; ++i)
    for (int64_t j = 0; j < 5; ++j) EXPECT_NEAR(zca.whiten[i * 5 + j], zca.whiten[j * 5 + i], 1e-5);
  // With eps > 0 the whitened variances are lambda / (lambda + eps): they fall with lambda,
  // so PCA's first component (largest lambda) keeps the most variance.
  auto p = fit(data.load(), "pca_whiten", 1.0);
  auto x = data.x();
  p.apply(x.data(), kRows);
  const auto c = covariance(x, 5);
  for (int64_t k = 1; k < 5; ++k) EXPECT_GE(c[(k - 1) * 5 + (k - 1)], c[k * 5 + k]);
  EXPECT_LT(c[4 * 5 + 4], 1.0);
}

TEST(Preprocess, BadModesAreRefusedWithTheFix) {
  Data data({6});
  EXPECT_THROW(fit(data.load(), "whiten"), UsageError);
  try {
    fit(data.load(), "standardize_channel");  // vectors have no channels
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("[C, H, W]"), std::string::npos) << e.what();
  }
}

TEST(Preprocess, SavedWithTheModelAndReadBack) {
  Data data({6});
  auto m = model::build_model(model::parse_spec("input 6\ndense 3\n", "test"));
  m->preprocessing = fit(data.load(), "zca_whiten", 0.1);
  const auto path = (std::filesystem::temp_directory_path() / "tandem_pre_model.h5").string();
  io::save_model(path, *m, {});
  const auto back = io::load_model(path);
  std::filesystem::remove(path);
  EXPECT_EQ(back->preprocessing.mode, model::PreprocessMode::kZcaWhiten);
  EXPECT_DOUBLE_EQ(back->preprocessing.eps, 0.1);
  EXPECT_EQ(back->preprocessing.mean, m->preprocessing.mean);
  EXPECT_EQ(back->preprocessing.whiten, m->preprocessing.whiten);
}

}  // namespace
}  // namespace tandem
