#pragma once
#include <memory>

#include "tandem/graph/op.hpp"
#include "tandem/ops/registry.hpp"
#include "tandem/tensor/pool_kernel.hpp"

namespace tandem::ops {

// Max or average pooling over k x k windows with a stride (default k), no padding.
// [batch, C, H, W] -> [batch, C, (H - k) / s + 1, (W - k) / s + 1]
class Pool2d final : public graph::Op {
 public:
  enum class Kind { kMax, kAverage };
  Pool2d(Kind kind, int64_t kernel, int64_t stride);
  std::string type() const override { return kind_ == Kind::kMax ? "maxpool" : "avgpool"; }
  Shape infer(const std::vector<Shape>& in) override;
  int64_t workspace_floats(int64_t batch) const override;
  int64_t scratch_floats(int64_t batch) const override;
  void forward(graph::OpArgs& a) override;
  void backward(graph::OpArgs& a) override;
  void jvp(graph::OpArgs& a) override;
  // Blocked in, blocked or plain out (a blocked output needs a blocked input).
  bool accepts_blocked_input() const override { return true; }
  bool can_output_blocked(bool input_blocked) const override { return input_blocked; }
  void set_layouts(graph::Layout in, graph::Layout out) override;

 private:
  // Where element q of plane p (sample p / C, channel p % C) of an area-sized plane lies.
  int64_t offset(bool blocked, int64_t p, int64_t q, int64_t area) const {
    if (!blocked) return p * area + q;
    const int64_t n = p / c_, c = p % c_;
    return ((n * (c_ / 16) + c / 16) * area + q) * 16 + c % 16;
  }
  // Applies the pooling to x, writing y; for max pooling records the winning input offset.
  // (jvp only: forward and backward run on oneDNN.)
  void pool(const float* x, int64_t batch, float* y, float* argmax) const;
  // Built at the first planning call, when infer() has fixed the geometry.
  dnn::PoolKernel& kernel() const;

  Kind kind_;
  int64_t k_, s_;
  int64_t c_ = 0, h_ = 0, w_ = 0, oh_ = 0, ow_ = 0;
  bool x_blocked_ = false, y_blocked_ = false;
  mutable std::unique_ptr<dnn::PoolKernel> kernel_;
};

// Spec factories (registered in src/ops/registry.cpp).
std::unique_ptr<graph::Op> make_maxpool(SpecArgs& args, const OpContext& context);
std::unique_ptr<graph::Op> make_avgpool(SpecArgs& args, const OpContext& context);

}  // namespace tandem::ops
