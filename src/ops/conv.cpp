#include "tandem/ops/conv.hpp"

#include <algorithm>
#include <cstring>

#include "tandem/core/error.hpp"
#include "tandem/core/multiversion.hpp"
#include "tandem/tensor/blas.hpp"
#include "tandem/tensor/kernels.hpp"

namespace tandem::ops {

using blas::Trans;

Conv2d::Conv2d(int64_t filters, int64_t kernel, int64_t stride, int64_t pad, bool bias,
               graph::InitSpec weight_init, graph::InitSpec bias_init)
    : f_(filters),
      k_(kernel),
      stride_(stride),
      pad_(pad),
      bias_(bias),
      weight_init_(std::move(weight_init)),
      bias_init_(std::move(bias_init)) {
  TANDEM_USAGE_CHECK(filters > 0, "conv2d needs a positive number of filters, got ", filters);
  TANDEM_USAGE_CHECK(kernel > 0, "conv2d needs a positive kernel size, got ", kernel);
  TANDEM_USAGE_CHECK(stride > 0, "conv2d needs a positive stride, got ", stride);
  TANDEM_USAGE_CHECK(pad >= 0, "conv2d needs a non-negative padding, got ", pad);
}

Shape Conv2d::infer(const std::vector<Shape>& in) {
  TANDEM_USAGE_CHECK(in[0].rank() == 3, "conv2d takes [channels, height, width] per sample, got ",
                     in[0].str());
  c_ = in[0][0];
  h_ = in[0][1];
  w_ = in[0][2];
  TANDEM_USAGE_CHECK(h_ + 2 * pad_ >= k_ && w_ + 2 * pad_ >= k_, "kernel ", k_,
                     " is larger than the padded input ", in[0].str());
  oh_ = (h_ + 2 * pad_ - k_) / stride_ + 1;
  ow_ = (w_ + 2 * pad_ - k_) / stride_ + 1;
  return Shape{f_, oh_, ow_};
}

std::vector<graph::ParamSpec> Conv2d::params() const {
  auto w = weight_init_;
  w.fan_in = patch();
  w.fan_out = f_ * k_ * k_;
  std::vector<graph::ParamSpec> p{{"weight", Shape{f_, c_, k_, k_}, w, true}};
  if (bias_) {
    auto b = bias_init_;
    b.fan_in = w.fan_in;
    b.fan_out = w.fan_out;
    p.push_back({"bias", Shape{f_}, b, false});
  }
  return p;
}

// The columns of the whole batch stay from forward to backward.
int64_t Conv2d::workspace_floats(int64_t batch) const {
  return patch() * batch * plane();
}

// Rearranged output gradient plus column gradient.
int64_t Conv2d::scratch_floats(int64_t batch) const {
  return (f_ + patch()) * batch * plane();
}

// Output columns ox whose input column ox * stride - pad + kj lies inside [0, w): [lo, hi).
static void valid_columns(int64_t kj, int64_t stride, int64_t pad, int64_t w, int64_t ow, int64_t& lo,
                          int64_t& hi) {
  const int64_t first = pad - kj;  // ox * stride >= first
  lo = first <= 0 ? 0 : (first + stride - 1) / stride;
  const int64_t last = w - 1 + pad - kj;  // ox * stride <= last
  hi = last < 0 ? 0 : std::min(ow, last / stride + 1);
  lo = std::min(lo, hi);
}

TANDEM_MULTIVERSION void Conv2d::im2col(const float* x, int64_t batch, float* col) const {
  const int64_t cols = batch * plane();
  for (int64_t c = 0; c < c_; ++c)
    for (int64_t ki = 0; ki < k_; ++ki)
      for (int64_t kj = 0; kj < k_; ++kj) {
        int64_t lo, hi;
        valid_columns(kj, stride_, pad_, w_, ow_, lo, hi);
        float* row = col + ((c * k_ + ki) * k_ + kj) * cols;
        for (int64_t n = 0; n < batch; ++n) {
          const float* xc = x + (n * c_ + c) * h_ * w_;
          float* out = row + n * plane();
          for (int64_t oy = 0; oy < oh_; ++oy) {
            const int64_t iy = oy * stride_ - pad_ + ki;
            float* __restrict o = out + oy * ow_;
            if (iy < 0 || iy >= h_) {
              std::fill(o, o + ow_, 0.0f);
              continue;
            }
            const float* __restrict xr = xc + iy * w_ - pad_ + kj;
            std::fill(o, o + lo, 0.0f);
            if (stride_ == 1)
              for (int64_t ox = lo; ox < hi; ++ox) o[ox] = xr[ox];
            else
              for (int64_t ox = lo; ox < hi; ++ox) o[ox] = xr[ox * stride_];
            std::fill(o + hi, o + ow_, 0.0f);
          }
        }
      }
}

TANDEM_MULTIVERSION void Conv2d::col2im(const float* col, int64_t batch, float* dx, bool accumulate) const {
  if (!accumulate) kernels::fill(dx, batch * c_ * h_ * w_, 0.0f);
  const int64_t cols = batch * plane();
  for (int64_t c = 0; c < c_; ++c)
    for (int64_t ki = 0; ki < k_; ++ki)
      for (int64_t kj = 0; kj < k_; ++kj) {
        int64_t lo, hi;
        valid_columns(kj, stride_, pad_, w_, ow_, lo, hi);
        const float* row = col + ((c * k_ + ki) * k_ + kj) * cols;
        for (int64_t n = 0; n < batch; ++n) {
          float* xc = dx + (n * c_ + c) * h_ * w_;
          const float* in = row + n * plane();
          for (int64_t oy = 0; oy < oh_; ++oy) {
            const int64_t iy = oy * stride_ - pad_ + ki;
            if (iy < 0 || iy >= h_) continue;
            float* __restrict xr = xc + iy * w_ - pad_ + kj;
            const float* __restrict o = in + oy * ow_;
            if (stride_ == 1)
              for (int64_t ox = lo; ox < hi; ++ox) xr[ox] += o[ox];
            else
              for (int64_t ox = lo; ox < hi; ++ox) xr[ox * stride_] += o[ox];
          }
        }
      }
}

TANDEM_MULTIVERSION void Conv2d::scatter_output(const float* m, const float* bias, int64_t batch,
                                                float* y) const {
  const int64_t p = plane(), cols = batch * p;
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t f = 0; f < f_; ++f) {
      const float* src = m + f * cols + n * p;
      float* dst = y + (n * f_ + f) * p;
      const float b = bias ? bias[f] : 0.0f;
      for (int64_t i = 0; i < p; ++i) dst[i] = src[i] + b;
    }
}

TANDEM_MULTIVERSION void Conv2d::gather_output(const float* dy, int64_t batch, float* m) const {
  const int64_t p = plane(), cols = batch * p;
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t f = 0; f < f_; ++f)
      std::memcpy(m + f * cols + n * p, dy + (n * f_ + f) * p, static_cast<size_t>(p) * sizeof(float));
}

void Conv2d::forward(graph::OpArgs& a) {
  const int64_t cols = a.batch * plane();
  float* col = a.workspace.data();
  float* m = a.scratch.data();  // [F, batch OH OW]
  im2col(a.in[0].data(), a.batch, col);
  blas::gemm(Trans::kNo, Trans::kNo, f_, cols, patch(), 1.0f, a.params[0].data(), patch(), col, cols, 0.0f, m,
             cols);
  scatter_output(m, bias_ ? a.params[1].data() : nullptr, a.batch, a.out.data());
}

void Conv2d::backward(graph::OpArgs& a) {
  const int64_t cols = a.batch * plane();
  const float* col = a.workspace.data();
  float* m = a.scratch.data();  // dy as [F, batch OH OW]
  float* dcol = m + f_ * cols;  // [C k k, batch OH OW]
  gather_output(a.out_grad.data(), a.batch, m);
  // dW += dy col^T
  blas::gemm(Trans::kNo, Trans::kYes, f_, patch(), cols, 1.0f, m, cols, col, cols, 1.0f,
             a.param_grad[0].data(), patch());
  if (bias_) {
    float* db = a.param_grad[1].data();
    for (int64_t f = 0; f < f_; ++f) db[f] += static_cast<float>(kernels::sum(m + f * cols, cols));
  }
  if (!a.in_grad[0].empty()) {
    blas::gemm(Trans::kYes, Trans::kNo, patch(), cols, f_, 1.0f, a.params[0].data(), patch(), m, cols, 0.0f,
               dcol, cols);
    col2im(dcol, a.batch, a.in_grad[0].data(), a.accumulate[0]);
  }
}

void Conv2d::jvp(graph::OpArgs& a) {
  // dy = W im2col(dx) + dW im2col(x) + db
  const int64_t cols = a.batch * plane();
  float* m = a.scratch.data();
  float* dcol = m + f_ * cols;
  im2col(a.in_tangent[0].data(), a.batch, dcol);
  blas::gemm(Trans::kNo, Trans::kNo, f_, cols, patch(), 1.0f, a.params[0].data(), patch(), dcol, cols, 0.0f,
             m, cols);
  if (!a.param_tangent[0].empty())
    blas::gemm(Trans::kNo, Trans::kNo, f_, cols, patch(), 1.0f, a.param_tangent[0].data(), patch(),
               a.workspace.data(), cols, 1.0f, m, cols);
  const bool db = bias_ && !a.param_tangent[1].empty();
  scatter_output(m, db ? a.param_tangent[1].data() : nullptr, a.batch, a.out_tangent.data());
}

std::unique_ptr<graph::Op> make_conv2d(SpecArgs& a, const OpContext&) {
  const int64_t filters = a.arg_int(0, "filters", 0);
  TANDEM_USAGE_CHECK(filters > 0, a.where(), "conv2d needs the number of filters, e.g. 'conv2d 32 kernel=3'");
  return std::make_unique<Conv2d>(filters, a.integer("kernel", 3), a.integer("stride", 1),
                                  a.integer("pad", 0), a.flag("bias", true), a.init("init", "he_normal"),
                                  a.init("bias_init", "zeros"));
}

}  // namespace tandem::ops
