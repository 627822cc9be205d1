#pragma once
// A linear least-squares problem for the gradient-noise-scale tests: a dataset with float
// targets t = A x + noise, the model `dense K bias=false` under MSE, and the exact |G|^2 and
// tr(Sigma) of the per-sample gradients over the whole dataset, in double.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace tandem::testing {

struct LeastSquares {
  int64_t n = 4096, d = 8, k = 3;
  std::vector<float> x, t;  // [n, d], [n, k]

  // Draws x and t (the same for a seed on every rank).
  void generate(uint64_t seed);
  // Writes them as /train and /test of `path`, and the model spec to `model_path`.
  void write(const std::string& path, const std::string& model_path) const;
  // For weights W [k, d] (the arena of `dense k bias=false`): the mean per-sample gradient's
  // squared norm and the trace of the per-sample gradients' covariance (population).
  struct Truth {
    double g2 = 0, trace = 0;
  };
  Truth truth(std::span<const float> w) const;
};

}  // namespace tandem::testing
