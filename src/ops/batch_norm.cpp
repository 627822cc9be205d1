#include "tandem/ops/batch_norm.hpp"

#include <cmath>

#include "tandem/core/error.hpp"
#include "tandem/core/multiversion.hpp"
#include "tandem/tensor/kernels.hpp"

namespace tandem::ops {

BatchNorm::BatchNorm(dist::Comm* comm, double momentum, double eps)
    : comm_(comm), momentum_(momentum), eps_(eps) {
  TANDEM_USAGE_CHECK(momentum >= 0.0 && momentum <= 1.0, "batchnorm momentum must be in [0, 1], got ",
                     momentum);
  TANDEM_USAGE_CHECK(eps > 0.0, "batchnorm eps must be positive, got ", eps);
}

Shape BatchNorm::infer(const std::vector<Shape>& in) {
  TANDEM_USAGE_CHECK(in[0].rank() == 1 || in[0].rank() == 3,
                     "batchnorm takes [features] or [channels, height, width] per sample, got ", in[0].str());
  c_ = in[0][0];
  inner_ = in[0].numel() / c_;
  red_.assign(2 * c_ + 1, 0.0);
  scratch_means_.assign(2 * c_, 0.0);
  return in[0];
}

std::vector<graph::ParamSpec> BatchNorm::params() const {
  return {{"gamma", Shape{c_}, {"constant", 1.0, c_, c_}, false},
          {"beta", Shape{c_}, {"zeros", 0.0, c_, c_}, false}};
}

std::vector<graph::StateSpec> BatchNorm::state() const {
  return {{"running_mean", Shape{c_}, 0.0f}, {"running_var", Shape{c_}, 1.0f}};
}

// xhat [batch, C, inner], then 1/sigma [C].
int64_t BatchNorm::workspace_floats(int64_t batch) const {
  return batch * c_ * inner_ + c_;
}

namespace {

// dx = k (dy - mean_dy - xhat mean_dy_xhat), or dx += when accumulate: one channel of one sample.
TANDEM_MULTIVERSION void centered_gradient(const float* dy, const float* xh, int64_t n, float k,
                                           float mean_dy, float mean_dy_xhat, float* dx, bool accumulate) {
  if (accumulate)
    for (int64_t i = 0; i < n; ++i) dx[i] += k * (dy[i] - mean_dy - xh[i] * mean_dy_xhat);
  else
    for (int64_t i = 0; i < n; ++i) dx[i] = k * (dy[i] - mean_dy - xh[i] * mean_dy_xhat);
}

}  // namespace

// red_ <- per-channel sums of u and of u * xhat over this rank's batch. dbeta and dgamma,
// when given, get this rank's share, added per [n, c] block.
void BatchNorm::local_sums(const float* u, const float* xh, int64_t batch, float* dbeta, float* dgamma) {
  double* s = red_.data();
  std::fill(red_.begin(), red_.end(), 0.0);
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t c = 0; c < c_; ++c) {
      const int64_t off = (n * c_ + c) * inner_;
      double su = 0, sux = 0;
      kernels::sum_and_dot(u + off, xh + off, inner_, &su, &sux);
      s[c] += su;
      s[c_ + c] += sux;
      if (dbeta) dbeta[c] += static_cast<float>(su), dgamma[c] += static_cast<float>(sux);
    }
}

// The global means from red_, reduced across ranks.
void BatchNorm::global_means(double* mean_u, double* mean_uxhat) {
  double* s = red_.data();
  if (comm_) comm_->allreduce_sum(s, 2 * c_);
  const double inv = count_ > 0 ? 1.0 / count_ : 0.0;
  for (int64_t c = 0; c < c_; ++c) {
    mean_u[c] = s[c] * inv;
    mean_uxhat[c] = s[c_ + c] * inv;
  }
}

void BatchNorm::forward(graph::OpArgs& a) {
  training_ = a.run->training;
  if (!training_) {
    forward_running(a);
    return;
  }
  const double inv_count = batch_moments(a.in[0].data(), a.batch);
  update_statistics(a, inv_count);
  normalize_batch(a);
}

TANDEM_MULTIVERSION void BatchNorm::forward_running(graph::OpArgs& a) const {
  const float* x = a.in[0].data();
  float* y = a.out.data();
  const float* gamma = a.params[0].data();
  const float* beta = a.params[1].data();
  const float* rmean = a.state[0].data();
  const float* rvar = a.state[1].data();
  float* xh = xhat(a);
  float* istd = inv_std(a);
  for (int64_t n = 0; n < a.batch; ++n)
    for (int64_t c = 0; c < c_; ++c) {
      const float is = 1.0f / std::sqrt(rvar[c] + static_cast<float>(eps_));
      const float* xp = x + (n * c_ + c) * inner_;
      float* hp = xh + (n * c_ + c) * inner_;
      float* yp = y + (n * c_ + c) * inner_;
      for (int64_t i = 0; i < inner_; ++i) {
        hp[i] = (xp[i] - rmean[c]) * is;
        yp[i] = gamma[c] * hp[i] + beta[c];
      }
      if (relu_)
        for (int64_t i = 0; i < inner_; ++i) yp[i] = std::max(yp[i], 0.0f);
      istd[c] = is;
    }
}

// Two passes over the global batch (mean, then squared deviations), in double: exact enough
// even when the mean is large compared with the spread.
double BatchNorm::batch_moments(const float* x, int64_t batch) {
  double* s = red_.data();
  std::fill(red_.begin(), red_.end(), 0.0);
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t c = 0; c < c_; ++c) s[c] += kernels::sum_double(x + (n * c_ + c) * inner_, inner_);
  s[2 * c_] = static_cast<double>(batch * inner_);
  if (comm_) comm_->allreduce_sum(s, 2 * c_ + 1);
  count_ = s[2 * c_];
  const double inv_count = count_ > 0 ? 1.0 / count_ : 0.0;
  for (int64_t c = 0; c < c_; ++c) s[c] *= inv_count;  // now the means
  for (int64_t c = 0; c < c_; ++c) s[c_ + c] = 0.0;
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t c = 0; c < c_; ++c)
      s[c_ + c] += kernels::sum_squared_deviations(x + (n * c_ + c) * inner_, inner_, s[c]);
  if (comm_) comm_->allreduce_sum(s + c_, c_);
  return inv_count;
}

void BatchNorm::update_statistics(graph::OpArgs& a, double inv_count) {
  const double* s = red_.data();
  float* istd = inv_std(a);
  float* rmean = a.state[0].data();
  float* rvar = a.state[1].data();
  for (int64_t c = 0; c < c_; ++c) {
    const double var = s[c_ + c] * inv_count;
    istd[c] = static_cast<float>(1.0 / std::sqrt(var + eps_));
    const double unbiased = count_ > 1 ? s[c_ + c] / (count_ - 1) : var;
    rmean[c] = static_cast<float>((1 - momentum_) * rmean[c] + momentum_ * s[c]);
    rvar[c] = static_cast<float>((1 - momentum_) * rvar[c] + momentum_ * unbiased);
  }
}

TANDEM_MULTIVERSION void BatchNorm::normalize_batch(graph::OpArgs& a) const {
  const double* s = red_.data();
  const float* x = a.in[0].data();
  float* y = a.out.data();
  const float* gamma = a.params[0].data();
  const float* beta = a.params[1].data();
  float* xh = xhat(a);
  const float* istd = inv_std(a);
  for (int64_t n = 0; n < a.batch; ++n)
    for (int64_t c = 0; c < c_; ++c) {
      const float m = static_cast<float>(s[c]);
      const float* xp = x + (n * c_ + c) * inner_;
      float* hp = xh + (n * c_ + c) * inner_;
      float* yp = y + (n * c_ + c) * inner_;
      for (int64_t i = 0; i < inner_; ++i) {
        hp[i] = (xp[i] - m) * istd[c];
        yp[i] = gamma[c] * hp[i] + beta[c];
      }
      if (relu_)  // while the row is in cache
        for (int64_t i = 0; i < inner_; ++i) yp[i] = std::max(yp[i], 0.0f);
    }
}

void BatchNorm::backward(graph::OpArgs& a) {
  const float* dy = a.out_grad.data();
  const float* xh = xhat(a);
  const float* istd = inv_std(a);
  const float* gamma = a.params[0].data();
  float* dgamma = a.param_grad[0].data();
  float* dbeta = a.param_grad[1].data();
  // This rank's share of dgamma and dbeta (the gradient synchronization sums the shares): the
  // same sums as the global means of dy and dy xhat need.
  local_sums(dy, xh, a.batch, dbeta, dgamma);
  if (a.in_grad[0].empty()) return;
  float* dx = a.in_grad[0].data();
  const bool acc = a.accumulate[0];
  if (!training_) {
    for (int64_t n = 0; n < a.batch; ++n)
      for (int64_t c = 0; c < c_; ++c) {
        const float k = gamma[c] * istd[c];
        const int64_t off = (n * c_ + c) * inner_;
        for (int64_t i = 0; i < inner_; ++i) graph::store_grad(dx[off + i], k * dy[off + i], acc);
      }
    return;
  }
  // dx = gamma / sigma * (dy - mean(dy) - xhat mean(dy xhat)), means over the global batch.
  std::vector<double>& m = scratch_means_;
  global_means(m.data(), m.data() + c_);
  for (int64_t n = 0; n < a.batch; ++n)
    for (int64_t c = 0; c < c_; ++c) {
      const int64_t off = (n * c_ + c) * inner_;
      centered_gradient(dy + off, xh + off, inner_, gamma[c] * istd[c], static_cast<float>(m[c]),
                        static_cast<float>(m[c_ + c]), dx + off, acc);
    }
}

void BatchNorm::jvp(graph::OpArgs& a) {
  const float* dx = a.in_tangent[0].data();
  const float* xh = xhat(a);
  const float* istd = inv_std(a);
  const float* gamma = a.params[0].data();
  const float* dgamma = a.param_tangent[0].empty() ? nullptr : a.param_tangent[0].data();
  const float* dbeta = a.param_tangent[1].empty() ? nullptr : a.param_tangent[1].data();
  float* dy = a.out_tangent.data();
  // dxhat = (dx - mean(dx) - xhat mean(xhat dx)) / sigma in training, dx / sigma in eval.
  std::vector<double>& m = scratch_means_;
  if (training_)
    local_sums(dx, xh, a.batch, nullptr, nullptr), global_means(m.data(), m.data() + c_);
  else
    std::fill(m.begin(), m.end(), 0.0);
  for (int64_t n = 0; n < a.batch; ++n)
    for (int64_t c = 0; c < c_; ++c) {
      const float md = static_cast<float>(m[c]), mdh = static_cast<float>(m[c_ + c]);
      const float dg = dgamma ? dgamma[c] : 0.0f, db = dbeta ? dbeta[c] : 0.0f;
      const int64_t off = (n * c_ + c) * inner_;
      for (int64_t i = 0; i < inner_; ++i) {
        const float dxh = (dx[off + i] - md - xh[off + i] * mdh) * istd[c];
        dy[off + i] = dg * xh[off + i] + gamma[c] * dxh + db;
      }
    }
}

std::unique_ptr<graph::Op> make_batchnorm(SpecArgs& a, const OpContext& context) {
  return std::make_unique<BatchNorm>(context.bn_comm, a.number("momentum", 0.1), a.number("eps", 1e-5));
}

}  // namespace tandem::ops
