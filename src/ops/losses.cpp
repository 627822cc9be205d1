#include "tandem/ops/losses.hpp"

#include <algorithm>
#include <cmath>

#include "tandem/core/error.hpp"

namespace tandem::ops {

double SoftmaxCrossEntropy::forward_backward(const Tensor& pred, const Targets& t, float scale, Tensor grad) {
  const int64_t batch = pred.dim(0), k = pred.dim(1);
  double total = 0;
  for (int64_t r = 0; r < batch; ++r) {
    const float* z = pred.data() + r * k;
    const int32_t y = t.labels[r];
    const float m = *std::max_element(z, z + k);
    double sum = 0;
    for (int64_t j = 0; j < k; ++j) sum += std::exp(static_cast<double>(z[j] - m));
    const double log_z = std::log(sum) + m;
    total += log_z - z[y];
    if (!grad.empty()) {
      float* g = grad.data() + r * k;
      for (int64_t j = 0; j < k; ++j)
        g[j] = scale * static_cast<float>(std::exp(z[j] - log_z) - (j == y ? 1.0 : 0.0));
    }
  }
  return total;
}

double SoftmaxCrossEntropy::jvp(const Tensor& pred, const Targets& t, const Tensor& dz) {
  const int64_t batch = pred.dim(0), k = pred.dim(1);
  double total = 0;
  for (int64_t r = 0; r < batch; ++r) {
    const float* z = pred.data() + r * k;
    const float* d = dz.data() + r * k;
    const float m = *std::max_element(z, z + k);
    double sum = 0, dot = 0;
    for (int64_t j = 0; j < k; ++j) {
      const double e = std::exp(static_cast<double>(z[j] - m));
      sum += e;
      dot += e * d[j];
    }
    total += dot / sum - d[t.labels[r]];
  }
  return total;
}

float MeanSquaredError::target(const Targets& t, int64_t row, int64_t k, int64_t col) const {
  if (labels_) return t.labels[row] == col ? 1.0f : 0.0f;
  return t.values.data()[row * k + col];
}

double MeanSquaredError::forward_backward(const Tensor& pred, const Targets& t, float scale, Tensor grad) {
  const int64_t batch = pred.dim(0), k = pred.numel() / std::max<int64_t>(batch, 1);
  double total = 0;
  const float gscale = 2.0f * scale / static_cast<float>(k);
  for (int64_t r = 0; r < batch; ++r) {
    double s = 0;
    for (int64_t j = 0; j < k; ++j) {
      const float d = pred.data()[r * k + j] - target(t, r, k, j);
      s += static_cast<double>(d) * d;
      if (!grad.empty()) grad.data()[r * k + j] = gscale * d;
    }
    total += s / static_cast<double>(k);
  }
  return total;
}

double MeanSquaredError::jvp(const Tensor& pred, const Targets& t, const Tensor& dp) {
  const int64_t batch = pred.dim(0), k = pred.numel() / std::max<int64_t>(batch, 1);
  double total = 0;
  for (int64_t r = 0; r < batch; ++r)
    for (int64_t j = 0; j < k; ++j)
      total +=
          2.0 * (pred.data()[r * k + j] - target(t, r, k, j)) * dp.data()[r * k + j] / static_cast<double>(k);
  return total;
}

std::unique_ptr<Loss> make_loss(const std::string& name, bool labels) {
  if (name == "softmax_cross_entropy" || name == "cross_entropy") {
    TANDEM_USAGE_CHECK(labels,
                       "softmax_cross_entropy needs class-index labels; use 'mse' for "
                       "dense targets");
    return std::make_unique<SoftmaxCrossEntropy>();
  }
  if (name == "mse") return std::make_unique<MeanSquaredError>(labels);
  throw UsageError("unknown loss '" + name + "'; known losses: softmax_cross_entropy, mse");
}

}  // namespace tandem::ops
