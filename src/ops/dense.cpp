#include "tandem/ops/dense.hpp"

#include <algorithm>

#include "tandem/core/error.hpp"
#include "tandem/tensor/blas.hpp"
#include "tandem/tensor/kernels.hpp"

namespace tandem::ops {

using blas::Trans;

Dense::Dense(int64_t units, bool bias, graph::InitSpec weight_init, graph::InitSpec bias_init)
    : units_(units), bias_(bias), weight_init_(std::move(weight_init)), bias_init_(std::move(bias_init)) {
  TANDEM_USAGE_CHECK(units > 0, "dense needs a positive number of units, got ", units);
}

Shape Dense::infer(const std::vector<Shape>& in) {
  TANDEM_USAGE_CHECK(in[0].rank() == 1, "dense takes a vector per sample but its input is ", in[0].str(),
                     "; insert a 'flatten' node before it");
  in_ = in[0][0];
  return Shape{units_};
}

std::vector<graph::ParamSpec> Dense::params() const {
  auto w = weight_init_;
  w.fan_in = in_;
  w.fan_out = units_;
  std::vector<graph::ParamSpec> p{{"weight", Shape{units_, in_}, w, true}};
  if (bias_) {
    auto b = bias_init_;
    b.fan_in = in_;
    b.fan_out = units_;
    p.push_back({"bias", Shape{units_}, b, false});
  }
  return p;
}

// [batch, in] -> [batch, units]
void Dense::forward(graph::OpArgs& a) {
  const float* x = a.in[0].data();
  float* y = a.out.data();
  if (bias_) kernels::broadcast_rows(a.params[1].data(), y, a.batch, units_);
  blas::gemm(Trans::kNo, Trans::kYes, a.batch, units_, in_, 1.0f, x, in_, a.params[0].data(), in_,
             bias_ ? 1.0f : 0.0f, y, units_);
}

void Dense::backward(graph::OpArgs& a) {
  const float* dy = a.out_grad.data();
  float* dw = a.param_grad[0].data();
  // dW += dy^T x   [units, batch] x [batch, in]. When someone waits for gradient pieces, a
  // large dW is written in row blocks of about kPieceFloats and each is reported when done.
  constexpr int64_t kPieceFloats = 64 * 1024;
  const int64_t rows = a.piece_done ? std::max<int64_t>(1, kPieceFloats / in_) : units_;
  for (int64_t u0 = 0; u0 < units_; u0 += rows) {
    const int64_t u = std::min(rows, units_ - u0);
    blas::gemm(Trans::kYes, Trans::kNo, u, in_, a.batch, 1.0f, dy + u0, units_, a.in[0].data(), in_, 1.0f,
               dw + u0 * in_, in_);
    if (a.piece_done && u0 + u < units_) (*a.piece_done)(dw + (u0 + u) * in_);
  }
  if (bias_) kernels::sum_rows(dy, a.param_grad[1].data(), a.batch, units_);
  if (!a.in_grad[0].empty()) {
    // dx = dy W   [batch, units] x [units, in]
    blas::gemm(Trans::kNo, Trans::kNo, a.batch, in_, units_, 1.0f, dy, units_, a.params[0].data(), in_,
               a.accumulate[0] ? 1.0f : 0.0f, a.in_grad[0].data(), in_);
  }
}

void Dense::jvp(graph::OpArgs& a) {
  float* dy = a.out_tangent.data();
  // dy = dx W^T + x dW^T + db
  if (bias_ && !a.param_tangent[1].empty())
    kernels::broadcast_rows(a.param_tangent[1].data(), dy, a.batch, units_);
  else
    kernels::fill(dy, a.batch * units_, 0.0f);
  blas::gemm(Trans::kNo, Trans::kYes, a.batch, units_, in_, 1.0f, a.in_tangent[0].data(), in_,
             a.params[0].data(), in_, 1.0f, dy, units_);
  if (!a.param_tangent[0].empty())
    blas::gemm(Trans::kNo, Trans::kYes, a.batch, units_, in_, 1.0f, a.in[0].data(), in_,
               a.param_tangent[0].data(), in_, 1.0f, dy, units_);
}

std::unique_ptr<graph::Op> make_dense(SpecArgs& a, const OpContext&) {
  const int64_t units = a.arg_int(0, "units", 0);
  TANDEM_USAGE_CHECK(units > 0, a.where(), "dense needs the number of units, e.g. 'dense 256'");
  return std::make_unique<Dense>(units, a.flag("bias", true), a.init("init", "he_normal"),
                                 a.init("bias_init", "zeros"));
}

}  // namespace tandem::ops
