#pragma once
#include <memory>

#include "tandem/graph/op.hpp"
#include "tandem/ops/registry.hpp"

namespace tandem::ops {

// Elementwise sum of two or more inputs of equal shape (residual connections).
class Add final : public graph::Op {
 public:
  std::string type() const override { return "add"; }
  // Elementwise: blocked inputs (all of them) give a blocked output (graph::Layout).
  bool accepts_blocked_input() const override { return true; }
  bool can_output_blocked(bool input_blocked) const override { return input_blocked; }
  bool output_follows_input() const override { return true; }
  int arity() const override { return -1; }
  Shape infer(const std::vector<Shape>& in) override;
  void forward(graph::OpArgs& a) override;
  void backward(graph::OpArgs& a) override;
  void jvp(graph::OpArgs& a) override;
};

// Elementwise product of two inputs of equal shape (gating; the classic f = (x + y) z).
class Multiply final : public graph::Op {
 public:
  std::string type() const override { return "mul"; }
  // Elementwise: blocked inputs (all of them) give a blocked output (graph::Layout).
  bool accepts_blocked_input() const override { return true; }
  bool can_output_blocked(bool input_blocked) const override { return input_blocked; }
  bool output_follows_input() const override { return true; }
  int arity() const override { return 2; }
  Shape infer(const std::vector<Shape>& in) override;
  void forward(graph::OpArgs& a) override;
  void backward(graph::OpArgs& a) override;
  void jvp(graph::OpArgs& a) override;
};

// Concatenation along the first per-sample axis (features, or channels of images); the other
// axes must agree. [batch, c_i, ...] -> [batch, sum c_i, ...]
class Concat final : public graph::Op {
 public:
  std::string type() const override { return "concat"; }
  int arity() const override { return -1; }
  Shape infer(const std::vector<Shape>& in) override;
  void forward(graph::OpArgs& a) override;
  void backward(graph::OpArgs& a) override;
  void jvp(graph::OpArgs& a) override;

 private:
  // Per sample: input i occupies [offset_[i], offset_[i] + size_[i]) of the output row.
  std::vector<int64_t> size_, offset_;
  int64_t row_ = 0;
};

// Spec factories (registered in src/ops/registry.cpp).
std::unique_ptr<graph::Op> make_add(SpecArgs& args, const OpContext& context);
std::unique_ptr<graph::Op> make_mul(SpecArgs& args, const OpContext& context);
std::unique_ptr<graph::Op> make_concat(SpecArgs& args, const OpContext& context);

}  // namespace tandem::ops
