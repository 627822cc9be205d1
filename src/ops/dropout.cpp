#include "tandem/ops/dropout.hpp"

#include "tandem/core/error.hpp"
#include "tandem/core/rng.hpp"
#include "tandem/tensor/kernels.hpp"

namespace tandem::ops {

Dropout::Dropout(double rate) : rate_(rate) {
  TANDEM_USAGE_CHECK(rate >= 0.0 && rate < 1.0, "dropout rate must be in [0, 1), got ", rate);
}

// The mask, kept for backward.
int64_t Dropout::workspace_floats(int64_t batch) const {
  return batch * row_;
}

void Dropout::forward(graph::OpArgs& a) {
  const int64_t n = a.out.numel();
  active_ = a.run->training && a.run->dropout && rate_ > 0.0;
  if (!active_) {
    kernels::copy(a.in[0].data(), a.out.data(), n);
    return;
  }
  const float keep_scale = static_cast<float>(1.0 / (1.0 - rate_));
  const float rate = static_cast<float>(rate_);
  float* mask = a.workspace.data();
  for (int64_t r = 0; r < a.batch; ++r) {
    const int64_t sample = a.run->sample_ids ? a.run->sample_ids[r] : r;
    Philox rng(a.run->seed, RngPurpose::kDropout, a.run->epoch, static_cast<uint32_t>(sample),
               static_cast<uint32_t>(a.node_id) ^ (static_cast<uint32_t>(sample >> 32) << 16));
    float* m = mask + r * row_;
    for (int64_t j = 0; j < row_; ++j) m[j] = rng.uniform() >= rate ? keep_scale : 0.0f;
  }
  const float* x = a.in[0].data();
  float* y = a.out.data();
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * mask[i];
}

void Dropout::backward(graph::OpArgs& a) {
  if (a.in_grad[0].empty()) return;
  const int64_t n = a.out.numel();
  float* dx = a.in_grad[0].data();
  const float* dy = a.out_grad.data();
  if (!active_) {
    if (a.accumulate[0])
      kernels::add(dy, dx, n);
    else
      kernels::copy(dy, dx, n);
    return;
  }
  const float* mask = a.workspace.data();
  for (int64_t i = 0; i < n; ++i) graph::store_grad(dx[i], dy[i] * mask[i], a.accumulate[0]);
}

void Dropout::jvp(graph::OpArgs& a) {
  const int64_t n = a.out.numel();
  if (!active_) {
    kernels::copy(a.in_tangent[0].data(), a.out_tangent.data(), n);
    return;
  }
  const float* mask = a.workspace.data();
  for (int64_t i = 0; i < n; ++i) a.out_tangent.data()[i] = a.in_tangent[0].data()[i] * mask[i];
}

std::unique_ptr<graph::Op> make_dropout(SpecArgs& a, const OpContext&) {
  return std::make_unique<Dropout>(a.arg_number(0, "rate", 0.5));
}

}  // namespace tandem::ops
