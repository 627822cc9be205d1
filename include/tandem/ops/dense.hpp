#pragma once
#include <memory>

#include "tandem/graph/op.hpp"
#include "tandem/ops/registry.hpp"
#include "tandem/tensor/matmul_kernel.hpp"

namespace tandem::ops {

// Fully connected layer: [batch, in] -> [batch, units], y = x W^T + b.
// weight [units, in] (the PyTorch layout), bias [units]. In fp32 the products run on OpenBLAS;
// in bf16 on oneDNN (dnn::MatmulKernel), with bf16 copies of x, W and dy.
class Dense final : public graph::Op {
 public:
  Dense(int64_t units, bool bias, graph::InitSpec weight_init, graph::InitSpec bias_init,
        Precision precision = Precision::kFp32);
  std::string type() const override { return "dense"; }
  Shape infer(const std::vector<Shape>& in) override;
  std::vector<graph::ParamSpec> params() const override;
  void forward(graph::OpArgs& a) override;
  void backward(graph::OpArgs& a) override;
  void jvp(graph::OpArgs& a) override;
  int64_t workspace_floats(int64_t batch) const override;
  int64_t scratch_floats(int64_t batch) const override;

 private:
  dnn::MatmulKernel* kernel() const;  // null in fp32
  int64_t units_, in_ = 0;
  bool bias_;
  graph::InitSpec weight_init_, bias_init_;
  Precision precision_;
  mutable std::unique_ptr<dnn::MatmulKernel> kernel_;  // planned on first use
};

// Spec factories (registered in src/ops/registry.cpp).
std::unique_ptr<graph::Op> make_dense(SpecArgs& args, const OpContext& context);

}  // namespace tandem::ops
