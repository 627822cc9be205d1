#pragma once
// A fully connected layer's three matrix products by oneDNN, in fp32 or in bf16 (bf16 copies of
// x, W and dy, fp32 accumulation and results): y = x W^T + b, dW += dy^T x, dx = dy W. The
// primitives and conversions are planned once per batch size; all memory is the caller's
// (workspace kept from forward to backward, scratch valid within one call).
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "tandem/tensor/precision.hpp"

namespace tandem::dnn {

struct MatmulGeometry {
  int64_t in = 0, out = 0;  // x [batch, in], W [out, in] (row-major), y [batch, out]
  bool bias = true;
  Precision precision = Precision::kFp32;
  // backward() may write dW in blocks of this many rows, reporting each when it is final.
  int64_t piece_rows = 0;  // 0: dW in one product
};

class MatmulKernel {
 public:
  explicit MatmulKernel(const MatmulGeometry& g);
  ~MatmulKernel();
  MatmulKernel(const MatmulKernel&) = delete;
  MatmulKernel& operator=(const MatmulKernel&) = delete;

  // Floats the caller provides for a batch: kept from forward to backward (bf16: x and W as
  // forward converted them), and per call.
  int64_t workspace_floats(int64_t batch);
  int64_t scratch_floats(int64_t batch);

  // y = x W^T + b; b may be null only without bias.
  void forward(int64_t batch, const float* x, const float* w, const float* b, float* y, float* workspace,
               float* scratch);
  // dw += dy^T x, db += column sums of dy (unless db is null), with x, w and workspace as in the
  // last forward; then, unless dx is null, dx = dy W (dx += when accumulate). With piece_done,
  // dW is written in blocks of g.piece_rows rows and piece_done(end) follows each but the last.
  void backward(int64_t batch, const float* x, const float* dy, const float* w, float* dw, float* db,
                float* dx, bool accumulate, const float* workspace, float* scratch,
                const std::function<void(const float* end)>* piece_done = nullptr);
  // y += x W^T, for a tangent pass (no workspace touched).
  void apply_add(int64_t batch, const float* x, const float* w, float* y, float* scratch);

  // oneDNN's implementations of forward / dW / dx, e.g. "brg:avx512_core_bf16 / ...".
  std::string implementation(int64_t batch);

  struct Plan;  // oneDNN's primitives for one batch size

 private:
  Plan& plan(int64_t batch);
  MatmulGeometry g_;
  std::map<int64_t, std::unique_ptr<Plan>> plans_;  // one per batch size seen
};

}  // namespace tandem::dnn
