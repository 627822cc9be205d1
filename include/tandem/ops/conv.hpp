#pragma once
#include <memory>

#include "tandem/graph/op.hpp"
#include "tandem/ops/registry.hpp"
#include "tandem/tensor/conv_kernel.hpp"

namespace tandem::ops {

// 2-D convolution (cross-correlation, as in every framework) by oneDNN (tensor/conv_kernel.hpp). [batch, C,
// H, W] -> [batch, filters, OH, OW], OH = (H + 2 pad - k) / stride + 1. weight [filters, C, k, k], bias
// [filters].
class Conv2d final : public graph::Op {
 public:
  Conv2d(int64_t filters, int64_t kernel, int64_t stride, int64_t pad, bool bias, graph::InitSpec weight_init,
         graph::InitSpec bias_init, Precision precision = Precision::kFp32);
  std::string type() const override { return "conv2d"; }
  // A following ReLU runs as a oneDNN post-op of the forward convolution.
  bool fuse_epilogue(graph::Epilogue e) override;
  bool accepts_blocked_input() const override { return true; }
  bool can_output_blocked(bool) const override { return true; }
  void set_layouts(graph::Layout in, graph::Layout out) override;
  Shape infer(const std::vector<Shape>& in) override;
  std::vector<graph::ParamSpec> params() const override;
  int64_t workspace_floats(int64_t batch) const override;
  int64_t scratch_floats(int64_t batch) const override;
  void forward(graph::OpArgs& a) override;
  void backward(graph::OpArgs& a) override;
  void jvp(graph::OpArgs& a) override;

 private:
  int64_t patch() const { return c_ * k_ * k_; }
  // Built at the first planning call, when infer() has fixed the geometry.
  dnn::ConvKernel& kernel() const;

  int64_t f_, k_, stride_, pad_;
  bool bias_;
  graph::InitSpec weight_init_, bias_init_;
  Precision precision_;
  bool relu_ = false;  // forward writes max(y, 0)
  bool x_blocked_ = false, y_blocked_ = false;
  int64_t c_ = 0, h_ = 0, w_ = 0, oh_ = 0, ow_ = 0;
  mutable std::unique_ptr<dnn::ConvKernel> kernel_;
};

// Spec factories (registered in src/ops/registry.cpp).
std::unique_ptr<graph::Op> make_conv2d(SpecArgs& args, const OpContext& context);

}  // namespace tandem::ops
