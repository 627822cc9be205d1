#pragma once
#include <memory>

#include "tandem/graph/op.hpp"
#include "tandem/ops/registry.hpp"

namespace tandem::ops {

// Fully connected layer: [batch, in] -> [batch, units], y = x W^T + b.
// weight [units, in] (the PyTorch layout), bias [units].
class Dense final : public graph::Op {
 public:
  Dense(int64_t units, bool bias, graph::InitSpec weight_init, graph::InitSpec bias_init);
  std::string type() const override { return "dense"; }
  Shape infer(const std::vector<Shape>& in) override;
  std::vector<graph::ParamSpec> params() const override;
  void forward(graph::OpArgs& a) override;
  void backward(graph::OpArgs& a) override;
  void jvp(graph::OpArgs& a) override;

 private:
  int64_t units_, in_ = 0;
  bool bias_;
  graph::InitSpec weight_init_, bias_init_;
};

// Spec factories (registered in src/ops/registry.cpp).
std::unique_ptr<graph::Op> make_dense(SpecArgs& args, const OpContext& context);

}  // namespace tandem::ops
