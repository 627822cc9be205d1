#include "tandem/ops/dense.hpp"

#include <algorithm>

#include "tandem/core/error.hpp"
#include "tandem/tensor/blas.hpp"
#include "tandem/tensor/kernels.hpp"

namespace tandem::ops {

using blas::Trans;

namespace {
// When someone waits for gradient pieces, a large dW is written in row blocks of about this
// many floats and each is reported when done.
constexpr int64_t kPieceFloats = 64 * 1024;
}  // namespace

Dense::Dense(int64_t units, bool bias, graph::InitSpec weight_init, graph::InitSpec bias_init,
             Precision precision)
    : units_(units),
      bias_(bias),
      weight_init_(std::move(weight_init)),
      bias_init_(std::move(bias_init)),
      precision_(precision) {
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

dnn::MatmulKernel* Dense::kernel() const {
  if (precision_ == Precision::kFp32) return nullptr;
  if (!kernel_) {
    const int64_t piece_rows = std::max<int64_t>(1, kPieceFloats / in_);
    kernel_ =
        std::make_unique<dnn::MatmulKernel>(dnn::MatmulGeometry{in_, units_, bias_, precision_, piece_rows});
  }
  return kernel_.get();
}

// bf16: x and W as forward converted them, read again by backward.
int64_t Dense::workspace_floats(int64_t batch) const {
  return kernel() ? kernel()->workspace_floats(batch) : 0;
}

int64_t Dense::scratch_floats(int64_t batch) const {
  return kernel() ? kernel()->scratch_floats(batch) : 0;
}

// [batch, in] -> [batch, units]
void Dense::forward(graph::OpArgs& a) {
  if (auto* k = kernel()) {
    k->forward(a.batch, a.in[0].data(), a.params[0].data(), bias_ ? a.params[1].data() : nullptr,
               a.out.data(), a.workspace.data(), a.scratch.data());
    return;
  }
  const float* x = a.in[0].data();
  float* y = a.out.data();
  if (bias_) kernels::broadcast_rows(a.params[1].data(), y, a.batch, units_);
  blas::gemm(Trans::kNo, Trans::kYes, a.batch, units_, in_, 1.0f, x, in_, a.params[0].data(), in_,
             bias_ ? 1.0f : 0.0f, y, units_);
}

void Dense::backward(graph::OpArgs& a) {
  const float* dy = a.out_grad.data();
  float* dw = graph::grad_or_null(a.param_grad[0]);  // null: frozen
  if (auto* k = kernel()) {
    k->backward(a.batch, a.in[0].data(), dy, a.params[0].data(), dw,
                bias_ ? graph::grad_or_null(a.param_grad[1]) : nullptr,
                a.in_grad[0].empty() ? nullptr : a.in_grad[0].data(), a.accumulate[0], a.workspace.data(),
                a.scratch.data(), a.piece_done);
    return;
  }
  // dW += dy^T x   [units, batch] x [batch, in], in row blocks when pieces are awaited.
  const int64_t rows = a.piece_done ? std::max<int64_t>(1, kPieceFloats / in_) : units_;
  for (int64_t u0 = 0; dw && u0 < units_; u0 += rows) {
    const int64_t u = std::min(rows, units_ - u0);
    blas::gemm(Trans::kYes, Trans::kNo, u, in_, a.batch, 1.0f, dy + u0, units_, a.in[0].data(), in_, 1.0f,
               dw + u0 * in_, in_);
    if (a.piece_done && u0 + u < units_) (*a.piece_done)(dw + (u0 + u) * in_);
  }
  if (bias_ && dw) kernels::sum_rows(dy, a.param_grad[1].data(), a.batch, units_);
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
  if (auto* k = kernel()) {
    k->apply_add(a.batch, a.in_tangent[0].data(), a.params[0].data(), dy, a.scratch.data());
    if (!a.param_tangent[0].empty())
      k->apply_add(a.batch, a.in[0].data(), a.param_tangent[0].data(), dy, a.scratch.data());
    return;
  }
  blas::gemm(Trans::kNo, Trans::kYes, a.batch, units_, in_, 1.0f, a.in_tangent[0].data(), in_,
             a.params[0].data(), in_, 1.0f, dy, units_);
  if (!a.param_tangent[0].empty())
    blas::gemm(Trans::kNo, Trans::kYes, a.batch, units_, in_, 1.0f, a.in[0].data(), in_,
               a.param_tangent[0].data(), in_, 1.0f, dy, units_);
}

std::unique_ptr<graph::Op> make_dense(SpecArgs& a, const OpContext& context) {
  const int64_t units = a.arg_int(0, "units", 0);
  TANDEM_USAGE_CHECK(units > 0, a.where(), "dense needs the number of units, e.g. 'dense 256'");
  return std::make_unique<Dense>(units, a.flag("bias", true), a.init("init", "he_normal"),
                                 a.init("bias_init", "zeros"), context.precision);
}

}  // namespace tandem::ops
