#include "least_squares.hpp"

#include <fstream>

#include "tandem/core/rng.hpp"
#include "tandem/io/h5.hpp"

namespace tandem::testing {

void LeastSquares::generate(uint64_t seed) {
  Philox rng(seed, RngPurpose::kInit);
  x.resize(n * d);
  t.resize(n * k);
  std::vector<double> a(k * d);
  for (auto& v : a) v = rng.normal();
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < d; ++j) x[i * d + j] = static_cast<float>(rng.normal());
    for (int64_t c = 0; c < k; ++c) {
      double s = 0.5 * rng.normal();  // noise: the per-sample gradients scatter around G
      for (int64_t j = 0; j < d; ++j) s += a[c * d + j] * x[i * d + j];
      t[i * k + c] = static_cast<float>(s);
    }
  }
}

void LeastSquares::write(const std::string& path, const std::string& model_path) const {
  io::H5File f(path, io::H5File::Mode::kCreate);
  for (const char* split : {"/train", "/test"}) {
    f.write(std::string(split) + "/x", {n, d}, x.data());
    f.write(std::string(split) + "/y", {n, k}, t.data());
  }
  std::ofstream(model_path) << "input " << d << "\ndense " << k << " bias=false\nloss mse\n";
}

LeastSquares::Truth LeastSquares::truth(std::span<const float> w) const {
  // Per sample: L_i = (1/k) |W x_i - t_i|^2, grad_W L_i = (2/k) (W x_i - t_i) x_i^T.
  std::vector<double> grads(n * k * d), mean(k * d, 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < k; ++c) {
      double r = -t[i * k + c];
      for (int64_t j = 0; j < d; ++j) r += double{w[c * d + j]} * x[i * d + j];
      for (int64_t j = 0; j < d; ++j) {
        const double g = 2.0 / static_cast<double>(k) * r * x[i * d + j];
        grads[(i * k + c) * d + j] = g;
        mean[c * d + j] += g / static_cast<double>(n);
      }
    }
  Truth out;
  for (const double g : mean) out.g2 += g * g;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t q = 0; q < k * d; ++q) {
      const double dev = grads[i * k * d + q] - mean[q];
      out.trace += dev * dev / static_cast<double>(n);
    }
  return out;
}

}  // namespace tandem::testing
