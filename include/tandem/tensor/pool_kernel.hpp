#pragma once
// 2-D max or average pooling of NCHW (or nChw16c) float tensors by oneDNN (no padding), forward and
// backward, planned once per batch size. Max pooling keeps oneDNN's record of the winners in
// the caller's workspace from forward to backward; all other memory is the caller's scratch.
#include <cstdint>
#include <map>
#include <memory>

namespace tandem::dnn {

struct PoolGeometry {
  int64_t channels = 0, height = 0, width = 0;  // input per sample
  int64_t kernel = 2, stride = 2;
  bool max = true;  // false: average
  // The caller's x (and dx) and y (and dy) in oneDNN's nChw16c (graph::Layout); a blocked y
  // needs a blocked x.
  bool x_blocked = false, y_blocked = false;
  int64_t out_height() const { return (height - kernel) / stride + 1; }
  int64_t out_width() const { return (width - kernel) / stride + 1; }
};

class PoolKernel {
 public:
  explicit PoolKernel(const PoolGeometry& g);
  ~PoolKernel();
  PoolKernel(const PoolKernel&) = delete;
  PoolKernel& operator=(const PoolKernel&) = delete;

  int64_t workspace_floats(int64_t batch);
  int64_t scratch_floats(int64_t batch);
  void forward(int64_t batch, const float* x, float* y, float* workspace, float* scratch);
  // dx = the pooling's gradient of dy, or dx += when accumulate.
  void backward(int64_t batch, const float* dy, float* dx, bool accumulate, const float* workspace,
                float* scratch);

  struct Plan;  // oneDNN's primitives for one batch size (src/tensor/pool_kernel.cpp)

 private:
  Plan& plan(int64_t batch);
  PoolGeometry g_;
  std::map<int64_t, std::unique_ptr<Plan>> plans_;
};

}  // namespace tandem::dnn
