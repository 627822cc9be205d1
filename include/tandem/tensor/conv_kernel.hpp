#pragma once
// A 2-D convolution of NCHW float tensors by oneDNN: forward (with bias), backward to the input
// and to the weights. oneDNN's own blocked layouts are used inside; the reorders to and from
// NCHW and every primitive are planned once per batch size, and all memory is the caller's
// (workspace kept from forward to backward, scratch valid within one call).
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "tandem/tensor/precision.hpp"

namespace tandem::dnn {

struct ConvGeometry {
  int64_t channels = 0, height = 0, width = 0;  // input per sample
  int64_t filters = 0, kernel = 0, stride = 1, pad = 0;
  bool bias = true;
  Precision precision = Precision::kFp32;  // bf16: inputs, weights and dy in bf16, fp32 out
  bool relu = false;                       // forward() writes max(y, 0) (a fused post-op)
  // The caller's x (and dx) and y (and dy) in oneDNN's nChw16c instead of NCHW (graph::Layout).
  bool x_blocked = false, y_blocked = false;
  int64_t out_height() const { return (height + 2 * pad - kernel) / stride + 1; }
  int64_t out_width() const { return (width + 2 * pad - kernel) / stride + 1; }
};

class ConvKernel {
 public:
  explicit ConvKernel(const ConvGeometry& g);
  ~ConvKernel();
  ConvKernel(const ConvKernel&) = delete;
  ConvKernel& operator=(const ConvKernel&) = delete;

  // Floats the caller provides for a batch: kept from forward to backward, and per call.
  int64_t workspace_floats(int64_t batch);
  int64_t scratch_floats(int64_t batch);

  // y = conv(x, w) + b, or max(that, 0) with g.relu; b may be null only without bias.
  void forward(int64_t batch, const float* x, const float* w, const float* b, float* y, float* workspace,
               float* scratch);
  // dw += conv_w(x, dy) and db += sum dy (unless db is null), x and workspace as in the
  // last forward; then, unless dx is null, dx = conv_x(dy, w) (dx += when accumulate).
  void backward(int64_t batch, const float* x, const float* dy, const float* w, float* dw, float* db,
                float* dx, bool accumulate, const float* workspace, float* scratch);
  // y = conv(x, w) + b (b may be null), or y += when accumulate, for a tangent pass: forward
  // without touching the workspace, and without the ReLU (a tangent is linear).
  void apply(int64_t batch, const float* x, const float* w, const float* b, float* y, bool accumulate,
             float* scratch);

  // oneDNN's implementations of forward / backward data / backward weights, e.g.
  // "jit:avx512_core / jit:avx512_core / jit:avx512_core".
  std::string implementation(int64_t batch);

  struct Plan;  // oneDNN's primitives for one batch size (src/tensor/conv_plan.hpp)

 private:
  Plan& plan(int64_t batch);
  ConvGeometry g_;
  std::map<int64_t, std::unique_ptr<Plan>> plans_;  // one per batch size seen
};

}  // namespace tandem::dnn
