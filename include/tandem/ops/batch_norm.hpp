#pragma once
#include <memory>

#include "tandem/dist/comm.hpp"
#include "tandem/graph/op.hpp"
#include "tandem/ops/registry.hpp"

namespace tandem::ops {

namespace channels {
struct Normalized;  // src/ops/channel_loops.hpp
}

// Batch normalization over features ([batch, F]) or over channels ([batch, C, H, W]: the
// statistics of a channel pool the batch and all positions). In training, statistics are
// those of the global batch: per-channel counts and sums are reduced through `comm` (pass a
// LocalComm for per-rank statistics), so N ranks with b samples each compute exactly what
// one rank computes with N b. Running statistics (PyTorch's convention: momentum 0.1,
// unbiased running variance) serve evaluation.
// params: gamma [C], beta [C]; state: running_mean [C], running_var [C].
class BatchNorm final : public graph::Op {
 public:
  BatchNorm(dist::Comm* comm, double momentum, double eps);
  std::string type() const override { return "batchnorm"; }
  bool uses_batch_statistics() const override { return true; }
  // [batch, C, H, W] in nChw16c too (graph::Layout); the output keeps the input's layout.
  bool accepts_blocked_input() const override { return true; }
  bool can_output_blocked(bool input_blocked) const override { return input_blocked; }
  bool output_follows_input() const override { return true; }
  void set_layouts(graph::Layout in, graph::Layout out) override;
  // A following ReLU is applied as y is written (backward and jvp read x, not y).
  bool fuse_epilogue(graph::Epilogue e) override {
    if (e != graph::Epilogue::kRelu || relu_) return false;
    return relu_ = true;
  }
  Shape infer(const std::vector<Shape>& in) override;
  std::vector<graph::ParamSpec> params() const override;
  std::vector<graph::StateSpec> state() const override;
  int64_t workspace_floats(int64_t batch) const override;
  void forward(graph::OpArgs& a) override;
  void backward(graph::OpArgs& a) override;
  void jvp(graph::OpArgs& a) override;

 private:
  // Evaluation: normalizes with the running statistics; x [batch, C, inner] -> y, mean, 1/sigma.
  void forward_running(graph::OpArgs& a) const;
  // Training, in three steps that allocate nothing: the global batch moments of x [batch, C,
  // inner] into red_ (mean [C], then sum of squared deviations [C]; count_), returning
  // 1 / count_ (0 for an empty batch); 1/sigma [C] and the running statistics from them; then
  // y (xhat is not kept).
  double batch_moments(const float* x, int64_t batch);
  void update_statistics(graph::OpArgs& a, double inv_count);
  void normalize_batch(graph::OpArgs& a);
  // Per-channel global means of u and of u * xhat, u [batch, C, inner]: this rank's sums (and
  // its share of dbeta = sum u, dgamma = sum u xhat when given), then reduced across ranks.
  void local_sums(const float* u, const channels::Normalized& xhat, int64_t batch, float* dbeta,
                  float* dgamma);
  void global_means(float* mean_u, float* mean_uxhat);
  // The workspace: the mean and 1/sigma forward normalized with, [C] each.
  float* mean(graph::OpArgs& a) const { return a.workspace.data(); }
  float* inv_std(graph::OpArgs& a) const { return a.workspace.data() + c_; }
  channels::Normalized normalized(graph::OpArgs& a) const;  // xhat, recomputed from x where read

  dist::Comm* comm_;
  double momentum_, eps_;
  int64_t c_ = 0, inner_ = 1;        // channels, positions per channel
  int lanes_ = 1;                    // 1: NCHW; 16: nChw16c (channels::Layout)
  bool training_ = true;             // mode of the last forward
  bool relu_ = false;                // forward writes max(y, 0) (a folded ReLU)
  double count_ = 0;                 // global samples x positions of the last forward
  std::vector<double> red_;          // reduction buffer, sized once
  std::vector<float> coefficients_;  // [3C] per-channel constants of one loop, sized once
};

// Spec factories (registered in src/ops/registry.cpp).
std::unique_ptr<graph::Op> make_batchnorm(SpecArgs& args, const OpContext& context);

}  // namespace tandem::ops
