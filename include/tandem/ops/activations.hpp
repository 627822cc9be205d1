#pragma once
#include <memory>

#include "tandem/graph/op.hpp"
#include "tandem/ops/registry.hpp"

namespace tandem::ops {

// Elementwise activations whose derivative is a function of the output: relu, sigmoid, tanh.
// [batch, ...] -> [batch, ...]
class Elementwise final : public graph::Op {
 public:
  enum class Kind { kRelu, kSigmoid, kTanh };
  explicit Elementwise(Kind kind) : kind_(kind) {}
  std::string type() const override;
  // ReLU folds into a producer (graph::Epilogue): its backward and jvp read only its output.
  graph::Epilogue foldable_as() const override {
    return kind_ == Kind::kRelu ? graph::Epilogue::kRelu : graph::Epilogue::kNone;
  }
  // Elementwise: any layout, kept.
  bool accepts_blocked_input() const override { return true; }
  bool can_output_blocked(bool input_blocked) const override { return input_blocked; }
  bool output_follows_input() const override { return true; }
  Shape infer(const std::vector<Shape>& in) override { return in[0]; }
  void forward(graph::OpArgs& a) override;
  void backward(graph::OpArgs& a) override;
  void jvp(graph::OpArgs& a) override;

 private:
  // dy/dx expressed through y.
  float slope(float y) const;
  Kind kind_;
};

// Elementwise activations with one optional constant, differentiated through the input:
//   leaky_relu slope=a   x > 0 ? x : a x                (a = 0.01)
//   elu alpha=a          x > 0 ? x : a (e^x - 1)        (a = 1)
//   gelu                 x Phi(x), Phi the standard normal CDF (the exact form, not tanh)
//   softplus             log(1 + e^x)
//   scaled_tanh          1.7159 tanh(2x/3)              (LeCun's)
//   tanh_linear b=b      tanh(x) + b x                  (b = 0.1; keeps a gradient when saturated)
class ScalarActivation final : public graph::Op {
 public:
  enum class Kind { kLeakyRelu, kElu, kGelu, kSoftplus, kScaledTanh, kTanhLinear };
  ScalarActivation(Kind kind, double constant);
  std::string type() const override;
  Shape infer(const std::vector<Shape>& in) override { return in[0]; }
  void forward(graph::OpArgs& a) override;
  void backward(graph::OpArgs& a) override;
  void jvp(graph::OpArgs& a) override;
  // The function and its derivative at x (exposed for tests).
  float value(float x) const;
  float derivative(float x) const;

 private:
  Kind kind_;
  float c_;
};

// PReLU (He et al. 2015): x > 0 ? x : a x with a learned slope a, one per channel (the first
// per-sample axis) or one shared by all; a starts at `initial` (0.25) and takes no weight decay.
class PRelu final : public graph::Op {
 public:
  PRelu(bool per_channel, double initial);
  std::string type() const override { return "prelu"; }
  Shape infer(const std::vector<Shape>& in) override;
  std::vector<graph::ParamSpec> params() const override;
  void forward(graph::OpArgs& a) override;
  void backward(graph::OpArgs& a) override;
  void jvp(graph::OpArgs& a) override;

 private:
  bool per_channel_;
  double initial_;
  int64_t channels_ = 1, inner_ = 1;  // slopes, and elements per slope within a sample
};

// Maxout (Goodfellow et al. 2013): the maximum over groups of k consecutive features or
// channels, [k m, ...] -> [m, ...]; follows a dense or conv layer with k m outputs.
class Maxout final : public graph::Op {
 public:
  explicit Maxout(int64_t pieces);
  std::string type() const override { return "maxout"; }
  Shape infer(const std::vector<Shape>& in) override;
  void forward(graph::OpArgs& a) override;
  void backward(graph::OpArgs& a) override;
  void jvp(graph::OpArgs& a) override;

 private:
  // Index (within the sample) of the winning piece of output element o.
  int64_t winner(const float* x, int64_t o) const;
  int64_t k_, groups_ = 0, inner_ = 1;
};

// Softmax along one axis of each sample (negative axes count from the end; -1, the last, by
// default): for a [C, H, W] sample, axis 0 normalizes over channels at every pixel.
class Softmax final : public graph::Op {
 public:
  explicit Softmax(int64_t axis = -1) : axis_(axis) {}
  std::string type() const override { return "softmax"; }
  Shape infer(const std::vector<Shape>& in) override;
  void forward(graph::OpArgs& a) override;
  void backward(graph::OpArgs& a) override;
  void jvp(graph::OpArgs& a) override;

 private:
  int64_t axis_;
  // A sample is [outer, k, inner]; the softmax runs over k with stride inner.
  int64_t outer_ = 0, k_ = 0, inner_ = 0;
};

// Reshape to [batch, numel]: a copy, so the buffers stay independent.
class Flatten final : public graph::Op {
 public:
  std::string type() const override { return "flatten"; }
  Shape infer(const std::vector<Shape>& in) override { return Shape{in[0].numel()}; }
  void forward(graph::OpArgs& a) override;
  void backward(graph::OpArgs& a) override;
  void jvp(graph::OpArgs& a) override;
};

// Spec factories (registered in src/ops/registry.cpp).
std::unique_ptr<graph::Op> make_relu(SpecArgs& args, const OpContext& context);
std::unique_ptr<graph::Op> make_sigmoid(SpecArgs& args, const OpContext& context);
std::unique_ptr<graph::Op> make_tanh(SpecArgs& args, const OpContext& context);
std::unique_ptr<graph::Op> make_leaky_relu(SpecArgs& args, const OpContext& context);
std::unique_ptr<graph::Op> make_elu(SpecArgs& args, const OpContext& context);
std::unique_ptr<graph::Op> make_gelu(SpecArgs& args, const OpContext& context);
std::unique_ptr<graph::Op> make_softplus(SpecArgs& args, const OpContext& context);
std::unique_ptr<graph::Op> make_scaled_tanh(SpecArgs& args, const OpContext& context);
std::unique_ptr<graph::Op> make_tanh_linear(SpecArgs& args, const OpContext& context);
std::unique_ptr<graph::Op> make_prelu(SpecArgs& args, const OpContext& context);
std::unique_ptr<graph::Op> make_maxout(SpecArgs& args, const OpContext& context);
std::unique_ptr<graph::Op> make_softmax(SpecArgs& args, const OpContext& context);
std::unique_ptr<graph::Op> make_flatten(SpecArgs& args, const OpContext& context);

}  // namespace tandem::ops
