#include "tandem/core/error.hpp"
#include "tandem/ops/losses.hpp"
#include "tandem/tensor/kernels.hpp"

namespace tandem::ops {

double HierarchicalSoftmaxLoss::forward_backward(const Tensor& pred, const Targets& t, float scale,
                                                 Tensor grad) {
  const int64_t batch = pred.dim(0), k = pred.dim(1);
  double total = 0;
  for (int64_t r = 0; r < batch; ++r) {
    const int32_t y = t.labels[r];
    const float loss = -pred.data()[r * k + y];
    total += loss;
    if (t.per_sample) t.per_sample[r] = loss;
    if (grad.empty()) continue;
    // All classes: the rest of the row is zero; own class only: the op reads nothing else.
    if (!t.own_class_only) kernels::fill(grad.data() + r * k, k, 0.0f);
    grad.data()[r * k + y] = -scale;
  }
  return total;
}

double HierarchicalSoftmaxLoss::jvp(const Tensor& pred, const Targets& t, const Tensor& dp) {
  const int64_t batch = pred.dim(0), k = pred.dim(1);
  double total = 0;
  for (int64_t r = 0; r < batch; ++r) total -= dp.data()[r * k + t.labels[r]];
  return total;
}

}  // namespace tandem::ops
