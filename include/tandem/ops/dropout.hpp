#pragma once
#include <memory>

#include "tandem/graph/op.hpp"
#include "tandem/ops/registry.hpp"

namespace tandem::ops {

// Inverted dropout: in training each element is kept with probability 1 - rate and scaled by
// 1 / (1 - rate); in evaluation it is the identity. The mask of a sample comes from Philox
// keyed by (seed, epoch, global sample index, node), so it does not depend on the rank.
class Dropout final : public graph::Op {
 public:
  explicit Dropout(double rate);
  std::string type() const override { return "dropout"; }
  bool stochastic_in_training() const override { return true; }
  Shape infer(const std::vector<Shape>& in) override {
    row_ = in[0].numel();
    return in[0];
  }
  int64_t workspace_floats(int64_t batch) const override;
  void forward(graph::OpArgs& a) override;
  void backward(graph::OpArgs& a) override;
  void jvp(graph::OpArgs& a) override;

 private:
  double rate_;
  int64_t row_ = 0;      // elements per sample
  bool active_ = false;  // whether the last forward applied a mask
};

// Spec factories (registered in src/ops/registry.cpp).
std::unique_ptr<graph::Op> make_dropout(SpecArgs& args, const OpContext& context);

}  // namespace tandem::ops
