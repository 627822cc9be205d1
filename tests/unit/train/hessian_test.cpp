// tandem hessian on a quadratic loss, whose Hessian is known in closed form: for a linear
// model with one output under MSE, H = (2/N) X^T X.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "tandem/core/rng.hpp"
#include "tandem/io/h5.hpp"
#include "tandem/tensor/blas.hpp"
#include "tandem/train/hessian.hpp"

namespace tandem {
namespace {

constexpr int64_t kN = 200, kD = 6;

class Quadratic : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() / ("tandem_hess_" + std::to_string(::getpid()) + ".h5"))
                .string();
    Philox rng(9, RngPurpose::kInit);
    x_.resize(kN * kD);
    for (int64_t i = 0; i < kN; ++i)
      for (int64_t d = 0; d < kD; ++d) x_[i * kD + d] = static_cast<float>(rng.normal() * (1 + d));
    std::vector<int32_t> y(kN, 0);
    io::H5File f(path_, io::H5File::Mode::kCreate);
    f.write("/train/x", {kN, kD}, x_.data());
    f.write("/train/y", {kN}, y.data());
    model_ = model::build_model(model::parse_spec("input 6\ndense 1 bias=false\nloss mse\n", "quadratic"));
    model::initialize(model_->graph, 1);
  }
  void TearDown() override { std::filesystem::remove(path_); }

  // Eigenvalues of (2/N) X^T X, largest first, computed directly.
  std::vector<double> exact() const {
    std::vector<double> h(kD * kD, 0.0), w(kD);
    for (int64_t i = 0; i < kN; ++i)
      for (int64_t a = 0; a < kD; ++a)
        for (int64_t b = 0; b < kD; ++b) h[a * kD + b] += 2.0 * x_[i * kD + a] * x_[i * kD + b] / kN;
    blas::symmetric_eigen(kD, h.data(), w.data());
    return {w.rbegin(), w.rend()};
  }

  std::string path_;
  std::vector<float> x_;
  std::unique_ptr<model::Model> model_;
};

TEST_F(Quadratic, LanczosRecoversTheTopEigenvalues) {
  const auto d = data::Dataset::load(path_, "train");
  train::HessianOptions o;
  o.samples = 0;
  o.top = 3;
  o.iterations = 6;  // the whole 6-dimensional space
  dist::LocalComm comm;
  const auto r = train::hessian_eigenvalues(*model_, d, o, comm);
  const auto want = exact();
  ASSERT_EQ(r.eigenvalues.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(r.eigenvalues[i], want[i], 1e-3 * want[0]) << "eigenvalue " << i;
  EXPECT_NE(r.product_method.find("central differences"), std::string::npos);
  EXPECT_EQ(r.products, 6);
}

TEST_F(Quadratic, PowerIterationRecoversTheTopEigenvalue) {
  const auto d = data::Dataset::load(path_, "train");
  train::HessianOptions o;
  o.samples = 0;
  o.top = 2;
  o.method = train::EigenMethod::kPower;
  o.iterations = 300;
  dist::LocalComm comm;
  const auto r = train::hessian_eigenvalues(*model_, d, o, comm);
  const auto want = exact();
  EXPECT_NEAR(r.eigenvalues[0], want[0], 1e-3 * want[0]);
  EXPECT_NEAR(r.eigenvalues[1], want[1], 1e-2 * want[0]);  // deflated: the error of the first carries over
}

}  // namespace
}  // namespace tandem
