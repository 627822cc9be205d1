#include "tandem/ops/batch_norm.hpp"

#include <algorithm>
#include <cmath>

#include "channel_loops.hpp"

#include "tandem/core/error.hpp"

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
  coefficients_.assign(3 * c_, 0.0f);
  return in[0];
}

std::vector<graph::ParamSpec> BatchNorm::params() const {
  return {{"gamma", Shape{c_}, {"constant", 1.0, c_, c_}, false},
          {"beta", Shape{c_}, {"zeros", 0.0, c_, c_}, false}};
}

std::vector<graph::StateSpec> BatchNorm::state() const {
  return {{"running_mean", Shape{c_}, 0.0f}, {"running_var", Shape{c_}, 1.0f}};
}

channels::Normalized BatchNorm::normalized(graph::OpArgs& a) const {
  return {a.in[0].data(), mean(a), inv_std(a)};
}

void BatchNorm::set_layouts(graph::Layout in, graph::Layout out) {
  TANDEM_ASSERT(in == out, "batchnorm writes its input's layout");
  lanes_ = in == graph::Layout::kBlocked16 ? 16 : 1;
}

// The mean [C] and 1/sigma [C] forward normalized with; backward and jvp recompute xhat.
int64_t BatchNorm::workspace_floats(int64_t) const {
  return 2 * c_;
}

// red_ <- per-channel sums of u and of u * xhat over this rank's batch. dbeta and dgamma,
// when given, get this rank's share, added per sample.
void BatchNorm::local_sums(const float* u, const channels::Normalized& xh, int64_t batch, float* dbeta,
                           float* dgamma) {
  std::fill(red_.begin(), red_.end(), 0.0);
  channels::add_sums_and_dots({c_, inner_, lanes_}, batch, u, xh, red_.data(), red_.data() + c_, dbeta,
                              dgamma);
}

// The global means from red_, reduced across ranks, as floats: mean_u [C], mean_uxhat [C].
void BatchNorm::global_means(float* mean_u, float* mean_uxhat) {
  double* s = red_.data();
  if (comm_) comm_->allreduce_sum(s, 2 * c_);
  const double inv = count_ > 0 ? 1.0 / count_ : 0.0;
  for (int64_t c = 0; c < c_; ++c) {
    mean_u[c] = static_cast<float>(s[c] * inv);
    mean_uxhat[c] = static_cast<float>(s[c_ + c] * inv);
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

void BatchNorm::forward_running(graph::OpArgs& a) const {
  const float* rvar = a.state[1].data();
  float* istd = inv_std(a);
  for (int64_t c = 0; c < c_; ++c) istd[c] = 1.0f / std::sqrt(rvar[c] + static_cast<float>(eps_));
  std::copy(a.state[0].data(), a.state[0].data() + c_, mean(a));
  channels::normalize({c_, inner_, lanes_}, a.batch, normalized(a), a.params[0].data(), a.params[1].data(),
                      relu_, a.out.data());
}

// Two passes over the global batch (mean, then squared deviations), in double: exact enough
// even when the mean is large compared with the spread.
double BatchNorm::batch_moments(const float* x, int64_t batch) {
  double* s = red_.data();
  std::fill(red_.begin(), red_.end(), 0.0);
  channels::add_sums({c_, inner_, lanes_}, batch, x, s);
  s[2 * c_] = static_cast<double>(batch * inner_);
  if (comm_) comm_->allreduce_sum(s, 2 * c_ + 1);
  count_ = s[2 * c_];
  const double inv_count = count_ > 0 ? 1.0 / count_ : 0.0;
  for (int64_t c = 0; c < c_; ++c) s[c] *= inv_count;  // now the means
  for (int64_t c = 0; c < c_; ++c) s[c_ + c] = 0.0;
  channels::add_squared_deviations({c_, inner_, lanes_}, batch, x, s, s + c_);
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

void BatchNorm::normalize_batch(graph::OpArgs& a) {
  float* m = mean(a);
  for (int64_t c = 0; c < c_; ++c) m[c] = static_cast<float>(red_[c]);
  channels::normalize({c_, inner_, lanes_}, a.batch, normalized(a), a.params[0].data(), a.params[1].data(),
                      relu_, a.out.data());
}

void BatchNorm::backward(graph::OpArgs& a) {
  const float* dy = a.out_grad.data();
  const channels::Normalized xh = normalized(a);
  const float* istd = inv_std(a);
  const float* gamma = a.params[0].data();
  float* dgamma = graph::grad_or_null(a.param_grad[0]);  // null: frozen
  float* dbeta = graph::grad_or_null(a.param_grad[1]);
  // This rank's share of dgamma and dbeta (the gradient synchronization sums the shares): the
  // same sums as the global means of dy and dy xhat need.
  local_sums(dy, xh, a.batch, dbeta, dgamma);
  if (a.in_grad[0].empty()) return;
  // dx = gamma / sigma * (dy - mean(dy) - xhat mean(dy xhat)), means over the global batch in
  // training; in evaluation the statistics are constants: dx = gamma / sigma * dy.
  float* k = coefficients_.data();
  float* mean_dy = k + c_;
  float* mean_dy_xhat = k + 2 * c_;
  for (int64_t c = 0; c < c_; ++c) k[c] = gamma[c] * istd[c];
  if (training_)
    global_means(mean_dy, mean_dy_xhat);
  else
    std::fill(mean_dy, mean_dy + 2 * c_, 0.0f);
  channels::centered({c_, inner_, lanes_}, a.batch, dy, xh, k, mean_dy, mean_dy_xhat, a.accumulate[0],
                     a.in_grad[0].data());
}

void BatchNorm::jvp(graph::OpArgs& a) {
  const float* dx = a.in_tangent[0].data();
  const channels::Normalized xh = normalized(a);
  const float* gamma = a.params[0].data();
  const float* dgamma = a.param_tangent[0].empty() ? nullptr : a.param_tangent[0].data();
  const float* dbeta = a.param_tangent[1].empty() ? nullptr : a.param_tangent[1].data();
  // dxhat = (dx - mean(dx) - xhat mean(xhat dx)) / sigma in training, dx / sigma in eval.
  float* mean_dx = coefficients_.data();
  float* mean_dx_xhat = mean_dx + c_;
  if (training_)
    local_sums(dx, xh, a.batch, nullptr, nullptr), global_means(mean_dx, mean_dx_xhat);
  else
    std::fill(mean_dx, mean_dx + 2 * c_, 0.0f);
  channels::tangent({c_, inner_, lanes_}, a.batch, dx, xh, gamma, dgamma, dbeta, mean_dx, mean_dx_xhat,
                    a.out_tangent.data());
}

std::unique_ptr<graph::Op> make_batchnorm(SpecArgs& a, const OpContext& context) {
  return std::make_unique<BatchNorm>(context.bn_comm, a.number("momentum", 0.1), a.number("eps", 1e-5));
}

}  // namespace tandem::ops
