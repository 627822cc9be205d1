#pragma once
#include <memory>

#include "tandem/graph/op.hpp"
#include "tandem/ops/registry.hpp"

namespace tandem::ops {

// Radial-basis-function layer of Gaussian units: [batch, in] -> [batch, units],
//   y_m = exp(-||x - c_m||^2 / (2 sigma_m^2)),
// with learnable centres c [units, in] and widths sigma [units]. Squared distances come from
// one GEMM: ||x||^2 - 2 x.c + ||c||^2.
class Rbf final : public graph::Op {
 public:
  Rbf(int64_t units, graph::InitSpec centre_init, double width);
  std::string type() const override { return "rbf"; }
  Shape infer(const std::vector<Shape>& in) override;
  std::vector<graph::ParamSpec> params() const override;
  // Squared distances [batch, units], kept from forward to backward.
  int64_t workspace_floats(int64_t batch) const override { return batch * units_; }
  int64_t scratch_floats(int64_t batch) const override { return batch * units_ + batch + units_; }
  void forward(graph::OpArgs& a) override;
  void backward(graph::OpArgs& a) override;
  void jvp(graph::OpArgs& a) override;

 private:
  // d2[b, m] = ||x_b - c_m||^2 for x [batch, in]; row_sq [batch] and centre_sq [units] are scratch.
  void squared_distances(const float* x, const float* c, int64_t batch, float* d2, float* row_sq,
                         float* centre_sq) const;
  int64_t units_, in_ = 0;
  graph::InitSpec centre_init_;
  double width_;
};

// Spec factories (registered in src/ops/registry.cpp).
std::unique_ptr<graph::Op> make_rbf(SpecArgs& args, const OpContext& context);

}  // namespace tandem::ops
