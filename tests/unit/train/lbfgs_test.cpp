// L-BFGS: the Rosenbrock valley through Lbfgs::iterate, and full-batch training reaching the
// optimum of L2-regularized multinomial logistic regression found independently by Newton's
// method in double precision.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <vector>

#include "tandem/core/error.hpp"
#include "tandem/core/rng.hpp"
#include "tandem/io/h5.hpp"
#include "tandem/optim/lbfgs.hpp"
#include "tandem/train/trainer.hpp"

namespace tandem {
namespace {

TEST(Lbfgs, MinimizesRosenbrock) {
  optim::OptimizerConfig c;
  c.name = "lbfgs";
  c.tolerance = 1e-4;
  optim::Lbfgs opt(c);
  std::vector<float> x{-1.2f, 1.0f}, g(2);
  auto rosenbrock = [](std::span<const float> p, std::span<float> grad) {
    const double a = p[0], b = p[1];
    grad[0] = static_cast<float>(-2 * (1 - a) - 400 * a * (b - a * a));
    grad[1] = static_cast<float>(200 * (b - a * a));
    return (1 - a) * (1 - a) + 100 * (b - a * a) * (b - a * a);
  };
  double f = rosenbrock(x, g);
  int iterations = 0;
  for (; iterations < 200; ++iterations) {
    const double before = f;
    const auto it = opt.iterate(x, f, g, rosenbrock);
    ASSERT_FALSE(it.failed) << "iteration " << iterations;
    EXPECT_LE(f, before);  // sufficient decrease never increases the objective
    if (it.converged) break;
  }
  EXPECT_LT(iterations, 100);
  EXPECT_NEAR(x[0], 1.0, 1e-3);
  EXPECT_NEAR(x[1], 1.0, 2e-3);
}

constexpr int64_t kN = 300, kD = 5, kK = 3;
constexpr double kDecay = 0.05;

// Newton's method in double on f(W) = mean_i CE(W x_i, y_i) + decay/2 |W|^2.
std::vector<double> newton_optimum(const std::vector<float>& x, const std::vector<int32_t>& y) {
  const int64_t p = kK * kD;
  std::vector<double> w(p, 0.0);
  for (int iter = 0; iter < 50; ++iter) {
    std::vector<double> grad(p, 0.0), hess(p * p, 0.0);
    for (int64_t i = 0; i < kN; ++i) {
      const float* xi = x.data() + i * kD;
      double z[kK], top = -1e300, sum = 0;
      for (int64_t k = 0; k < kK; ++k) {
        z[k] = 0;
        for (int64_t d = 0; d < kD; ++d) z[k] += w[k * kD + d] * xi[d];
        top = std::max(top, z[k]);
      }
      for (double& v : z) sum += (v = std::exp(v - top));
      for (double& v : z) v /= sum;  // probabilities
      for (int64_t k = 0; k < kK; ++k)
        for (int64_t d = 0; d < kD; ++d) {
          grad[k * kD + d] += (z[k] - (k == y[i])) * xi[d] / kN;
          for (int64_t l = 0; l < kK; ++l)
            for (int64_t e = 0; e < kD; ++e)
              hess[(k * kD + d) * p + l * kD + e] += ((k == l) * z[k] - z[k] * z[l]) * xi[d] * xi[e] / kN;
        }
    }
    for (int64_t j = 0; j < p; ++j) {
      grad[j] += kDecay * w[j];
      hess[j * p + j] += kDecay;
    }
    // Solve hess * step = grad by Gaussian elimination (symmetric positive definite).
    std::vector<double> step = grad;
    for (int64_t c = 0; c < p; ++c)
      for (int64_t r = c + 1; r < p; ++r) {
        const double m = hess[r * p + c] / hess[c * p + c];
        for (int64_t j = c; j < p; ++j) hess[r * p + j] -= m * hess[c * p + j];
        step[r] -= m * step[c];
      }
    for (int64_t r = p - 1; r >= 0; --r) {
      for (int64_t j = r + 1; j < p; ++j) step[r] -= hess[r * p + j] * step[j];
      step[r] /= hess[r * p + r];
    }
    for (int64_t j = 0; j < p; ++j) w[j] -= step[j];
  }
  return w;
}

TEST(Lbfgs, FullBatchTrainingReachesTheLogisticRegressionOptimum) {
  const auto dir = std::filesystem::temp_directory_path() / ("tandem_lbfgs_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  Philox rng(3, RngPurpose::kInit);
  std::vector<float> x(kN * kD);
  std::vector<int32_t> y(kN);
  for (int64_t i = 0; i < kN; ++i) {
    double score[kK] = {0, 0, 0};
    for (int64_t d = 0; d < kD; ++d) {
      x[i * kD + d] = static_cast<float>(rng.normal());
      score[d % kK] += x[i * kD + d] * (d + 1);
    }
    for (auto& s : score) s += 1.5 * rng.normal();  // noise: the classes overlap
    y[i] = static_cast<int32_t>(std::max_element(score, score + kK) - score);
  }
  const auto data = (dir / "d.h5").string(), model = (dir / "m.model").string();
  {
    io::H5File f(data, io::H5File::Mode::kCreate);
    f.write("/train/x", {kN, kD}, x.data());
    f.write("/train/y", {kN}, y.data());
    f.write("/test/x", {kN, kD}, x.data());
    f.write("/test/y", {kN}, y.data());
  }
  std::ofstream(model) << "input 5\ndense 3 bias=false\n";
  train::TrainConfig c;
  c.data = data;
  c.model = model;
  c.epochs = 300;
  c.batch_size = 64;
  c.eval_batch = 128;
  c.threads = 1;
  c.optimizer.name = "lbfgs";
  c.optimizer.weight_decay = kDecay;
  c.optimizer.tolerance = 1e-6;
  dist::LocalComm comm;
  train::Trainer trainer(c, comm);
  const auto history = trainer.run();
  std::filesystem::remove_all(dir);
  EXPECT_LT(history.size(), 100u) << "did not converge to --lbfgs-tol";
  const auto want = newton_optimum(x, y);
  const auto got = trainer.model().graph.params();
  ASSERT_EQ(got.size(), want.size());
  for (size_t j = 0; j < want.size(); ++j) EXPECT_NEAR(got[j], want[j], 2e-5) << "weight " << j;
}

TEST(Lbfgs, RefusesStochasticModels) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("tandem_lbfgs_bad_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::vector<float> x(8 * 4, 0.5f);
  std::vector<int32_t> y{0, 1, 0, 1, 0, 1, 0, 1};
  {
    io::H5File f((dir / "d.h5").string(), io::H5File::Mode::kCreate);
    f.write("/train/x", {8, 4}, x.data());
    f.write("/train/y", {8}, y.data());
    f.write("/test/x", {8, 4}, x.data());
    f.write("/test/y", {8}, y.data());
  }
  std::ofstream((dir / "m.model").string()) << "input 4\ndense 4\ndropout 0.5\ndense 2\n";
  train::TrainConfig c;
  c.data = (dir / "d.h5").string();
  c.model = (dir / "m.model").string();
  c.batch_size = 4;
  c.threads = 1;
  c.optimizer.name = "lbfgs";
  dist::LocalComm comm;
  try {
    train::Trainer trainer(c, comm);
    FAIL() << "a model with dropout was accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("dropout"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tandem
