#include "tandem/ops/rbf.hpp"

#include <algorithm>
#include <cmath>

#include "tandem/core/error.hpp"
#include "tandem/tensor/blas.hpp"
#include "tandem/tensor/kernels.hpp"

namespace tandem::ops {

using blas::Trans;

Rbf::Rbf(int64_t units, graph::InitSpec centre_init, double width)
    : units_(units), centre_init_(std::move(centre_init)), width_(width) {
  TANDEM_USAGE_CHECK(units > 0, "rbf needs a positive number of units, got ", units);
  TANDEM_USAGE_CHECK(width > 0, "rbf width must be positive, got ", width);
}

Shape Rbf::infer(const std::vector<Shape>& in) {
  TANDEM_USAGE_CHECK(in[0].rank() == 1, "rbf takes a vector per sample but its input is ", in[0].str(),
                     "; insert a 'flatten' node before it");
  in_ = in[0][0];
  return Shape{units_};
}

std::vector<graph::ParamSpec> Rbf::params() const {
  auto c = centre_init_;
  c.fan_in = in_;
  c.fan_out = units_;
  graph::InitSpec w{"constant", width_, in_, units_};
  // Neither centres nor widths are weights to shrink toward zero.
  return {{"centres", Shape{units_, in_}, c, false}, {"width", Shape{units_}, w, false}};
}

void Rbf::squared_distances(const float* x, const float* c, int64_t batch, float* d2, float* row_sq,
                            float* centre_sq) const {
  for (int64_t b = 0; b < batch; ++b) row_sq[b] = blas::dot(in_, x + b * in_, x + b * in_);
  for (int64_t m = 0; m < units_; ++m) centre_sq[m] = blas::dot(in_, c + m * in_, c + m * in_);
  blas::gemm(Trans::kNo, Trans::kYes, batch, units_, in_, -2.0f, x, in_, c, in_, 0.0f, d2, units_);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t m = 0; m < units_; ++m)  // rounding can take a tiny distance below zero
      d2[b * units_ + m] = std::max(0.0f, d2[b * units_ + m] + row_sq[b] + centre_sq[m]);
}

void Rbf::forward(graph::OpArgs& a) {
  float* d2 = a.workspace.data();
  float* row_sq = a.scratch.data() + a.batch * units_;
  squared_distances(a.in[0].data(), a.params[0].data(), a.batch, d2, row_sq, row_sq + a.batch);
  const float* sigma = a.params[1].data();
  float* y = a.out.data();
  for (int64_t b = 0; b < a.batch; ++b)
    for (int64_t m = 0; m < units_; ++m)
      y[b * units_ + m] = std::exp(-d2[b * units_ + m] / (2.0f * sigma[m] * sigma[m]));
}

// With A[b,m] = dL/dy * y / (2 sigma^2) (so dL/d(d2) = -A):
//   dx_b = 2 sum_m A[b,m] (c_m - x_b) = 2 (A C)_b - 2 x_b rowsum(A)_b
//   dc_m = 2 sum_b A[b,m] (x_b - c_m) = 2 (A^T X)_m - 2 c_m colsum(A)_m
//   dsigma_m = sum_b dL/dy y d2 / sigma^3
void Rbf::backward(graph::OpArgs& a) {
  const float* x = a.in[0].data();
  const float* c = a.params[0].data();
  const float* sigma = a.params[1].data();
  const float* y = a.out.data();
  const float* dy = a.out_grad.data();
  const float* d2 = a.workspace.data();
  float* coef = a.scratch.data();  // A [batch, units]
  float* row_sum = coef + a.batch * units_;
  float* col_sum = row_sum + a.batch;
  float* dsigma = graph::grad_or_null(a.param_grad[1]);  // null: frozen
  std::fill(row_sum, row_sum + a.batch + units_, 0.0f);
  for (int64_t b = 0; b < a.batch; ++b)
    for (int64_t m = 0; m < units_; ++m) {
      const int64_t i = b * units_ + m;
      const float s2 = sigma[m] * sigma[m];
      const float g = dy[i] * y[i];
      coef[i] = g / (2.0f * s2);
      row_sum[b] += coef[i];
      col_sum[m] += coef[i];
      if (dsigma) dsigma[m] += g * d2[i] / (s2 * sigma[m]);
    }
  if (float* dc = graph::grad_or_null(a.param_grad[0])) {
    blas::gemm(Trans::kYes, Trans::kNo, units_, in_, a.batch, 2.0f, coef, units_, x, in_, 1.0f, dc, in_);
    for (int64_t m = 0; m < units_; ++m) blas::axpy(in_, -2.0f * col_sum[m], c + m * in_, dc + m * in_);
  }
  if (a.in_grad[0].empty()) return;
  float* dx = a.in_grad[0].data();
  blas::gemm(Trans::kNo, Trans::kNo, a.batch, in_, units_, 2.0f, coef, units_, c, in_,
             a.accumulate[0] ? 1.0f : 0.0f, dx, in_);
  for (int64_t b = 0; b < a.batch; ++b) blas::axpy(in_, -2.0f * row_sum[b], x + b * in_, dx + b * in_);
}

// d(d2) = 2 (x - c).(dx - dc) = 2 (x.dx - c.dx - x.dc + c.dc)
// dy = y (-d(d2) / (2 sigma^2) + d2 dsigma / sigma^3)
void Rbf::jvp(graph::OpArgs& a) {
  const float* x = a.in[0].data();
  const float* c = a.params[0].data();
  const float* sigma = a.params[1].data();
  const float* y = a.out.data();
  const float* d2 = a.workspace.data();
  float* dd2 = a.out_tangent.data();  // built in place, then turned into dy
  const bool dx = !a.in_tangent[0].empty(), dc = !a.param_tangent[0].empty();
  float* x_dot = a.scratch.data() + a.batch * units_;  // x.dx [batch], then c.dc [units]
  float* c_dot = x_dot + a.batch;
  kernels::fill(dd2, a.batch * units_, 0.0f);
  kernels::fill(x_dot, a.batch + units_, 0.0f);
  if (dx) {
    const float* t = a.in_tangent[0].data();
    for (int64_t b = 0; b < a.batch; ++b) x_dot[b] = blas::dot(in_, x + b * in_, t + b * in_);
    blas::gemm(Trans::kNo, Trans::kYes, a.batch, units_, in_, -2.0f, t, in_, c, in_, 1.0f, dd2, units_);
  }
  if (dc) {
    const float* t = a.param_tangent[0].data();
    for (int64_t m = 0; m < units_; ++m) c_dot[m] = blas::dot(in_, c + m * in_, t + m * in_);
    blas::gemm(Trans::kNo, Trans::kYes, a.batch, units_, in_, -2.0f, x, in_, t, in_, 1.0f, dd2, units_);
  }
  const float* ds = a.param_tangent[1].empty() ? nullptr : a.param_tangent[1].data();
  for (int64_t b = 0; b < a.batch; ++b)
    for (int64_t m = 0; m < units_; ++m) {
      const int64_t i = b * units_ + m;
      const float d = dd2[i] + 2.0f * (x_dot[b] + c_dot[m]);
      const float s2 = sigma[m] * sigma[m];
      float v = -d / (2.0f * s2);
      if (ds) v += d2[i] * ds[m] / (s2 * sigma[m]);
      dd2[i] = y[i] * v;
    }
}

std::unique_ptr<graph::Op> make_rbf(SpecArgs& a, const OpContext&) {
  const int64_t units = a.arg_int(0, "units", 0);
  TANDEM_USAGE_CHECK(units > 0, a.where(), "rbf needs the number of Gaussian units, e.g. 'rbf 64 width=2'");
  return std::make_unique<Rbf>(units, a.init("init", "normal"), a.number("width", 1.0));
}

}  // namespace tandem::ops
