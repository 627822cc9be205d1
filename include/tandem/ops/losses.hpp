#pragma once
// Losses map the model output and the targets of a batch to the SUM of per-sample losses,
// and write its gradient scaled by `scale` (the trainer passes 1 / global batch, which makes
// the summed gradients across ranks those of the mean loss).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tandem/core/registry.hpp"
#include "tandem/ops/registry.hpp"
#include "tandem/tensor/tensor.hpp"

namespace tandem::ops {

// Class indices [batch] (int32) or dense targets [batch, K] (labels null).
struct Targets {
  const int32_t* labels = nullptr;
  Tensor values;
  // When set, forward_backward also writes each sample's own (unweighted) loss here [batch].
  float* per_sample = nullptr;
  // The head's op was given the labels (a training pass with graph::RunInfo::labels): for a
  // loss whose op then computes each sample's own class only (own_class_only_in_training),
  // only those entries of pred are valid and only those of grad are read.
  bool own_class_only = false;
};

// How the outputs a loss trains read as probabilities (predict, ensembles, accuracy).
enum class Probabilities {
  kNone,     // the outputs themselves (regression, margins)
  kSoftmax,  // logits of mutually exclusive classes
  kSigmoid,  // logits of independent labels (multi-label): accuracy per label
};

class Loss {
 public:
  virtual ~Loss() = default;
  virtual std::string name() const = 0;
  // Sum of per-sample losses over pred [batch, K]; if grad is non-empty, grad = scale * d/dpred.
  virtual double forward_backward(const Tensor& pred, const Targets& t, float scale, Tensor grad) = 0;
  // Directional derivative of the summed loss along pred_tangent.
  virtual double jvp(const Tensor& pred, const Targets& t, const Tensor& pred_tangent) = 0;
  // The targets the loss reads.
  enum class Kind { kLabels, kValues, kEither };
  virtual Kind targets() const = 0;
  // Capabilities, asked instead of comparing names.
  virtual Probabilities probabilities() const { return Probabilities::kNone; }
  // The mean loss of an untrained model with small random outputs over `classes` classes,
  // when the loss has one (ln C for softmax cross-entropy): the first step is checked against it.
  virtual std::optional<double> untrained_loss(int64_t /*classes*/) const { return std::nullopt; }
  // In training its op computes only each sample's own class (hierarchical softmax), so the
  // training accuracy counts a sample right when p(y) > 1/2 (then y is surely the argmax).
  virtual bool own_class_only_in_training() const { return false; }
};

// Softmax cross-entropy on logits, fused: loss = logsumexp(z) - z_y, grad = softmax(z) - e_y.
class SoftmaxCrossEntropy final : public Loss {
 public:
  std::string name() const override { return "softmax_cross_entropy"; }
  double forward_backward(const Tensor& pred, const Targets& t, float scale, Tensor grad) override;
  double jvp(const Tensor& pred, const Targets& t, const Tensor& pred_tangent) override;
  Kind targets() const override { return Kind::kLabels; }
  Probabilities probabilities() const override { return Probabilities::kSoftmax; }
  std::optional<double> untrained_loss(int64_t classes) const override;
};

// Mean squared error per sample: mean over the K outputs of (pred - target)^2, the batch mean
// of which is PyTorch's MSELoss. Class-index targets are read as one-hot vectors.
class MeanSquaredError final : public Loss {
 public:
  std::string name() const override { return "mse"; }
  double forward_backward(const Tensor& pred, const Targets& t, float scale, Tensor grad) override;
  double jvp(const Tensor& pred, const Targets& t, const Tensor& pred_tangent) override;
  Kind targets() const override { return Kind::kEither; }
};

// Binary cross-entropy on logits for multi-label targets t in [0, 1]^K: per sample the mean
// over the K outputs of max(z, 0) - z t + log(1 + exp(-|z|)) (= -t log s(z) - (1-t) log(1-s(z))
// without overflow), the batch mean of which is PyTorch's BCEWithLogitsLoss; grad (s(z) - t) / K.
class BinaryCrossEntropyLogits final : public Loss {
 public:
  std::string name() const override { return "bce_logits"; }
  double forward_backward(const Tensor& pred, const Targets& t, float scale, Tensor grad) override;
  double jvp(const Tensor& pred, const Targets& t, const Tensor& pred_tangent) override;
  Kind targets() const override { return Kind::kValues; }
  Probabilities probabilities() const override { return Probabilities::kSigmoid; }
};

// Multi-class hinge (Weston-Watkins, as in CS231n): sum over j != y of max(0, z_j - z_y + 1);
// squared: the same terms squared.
class MulticlassHinge final : public Loss {
 public:
  explicit MulticlassHinge(bool squared) : squared_(squared) {}
  std::string name() const override { return squared_ ? "squared_hinge" : "hinge"; }
  double forward_backward(const Tensor& pred, const Targets& t, float scale, Tensor grad) override;
  double jvp(const Tensor& pred, const Targets& t, const Tensor& pred_tangent) override;
  Kind targets() const override { return Kind::kLabels; }

 private:
  bool squared_;
};

// Mean absolute error per sample: mean over the K outputs of |pred - target| (PyTorch's
// L1Loss); class-index targets are read as one-hot vectors. d|x|/dx at 0 is taken as 0.
class L1 final : public Loss {
 public:
  std::string name() const override { return "l1"; }
  double forward_backward(const Tensor& pred, const Targets& t, float scale, Tensor grad) override;
  double jvp(const Tensor& pred, const Targets& t, const Tensor& pred_tangent) override;
  Kind targets() const override { return Kind::kEither; }
};

// Negative log-likelihood of log-probabilities: −out_y, gradient −e_y. The loss of
// `loss hierarchical_softmax`, whose op (ops::HierarchicalSoftmax) gives log p(c | x); with
// Targets::own_class_only it reads and writes out_y alone, O(1) per sample.
class HierarchicalSoftmaxLoss final : public Loss {
 public:
  std::string name() const override { return "hierarchical_softmax"; }
  double forward_backward(const Tensor& pred, const Targets& t, float scale, Tensor grad) override;
  double jvp(const Tensor& pred, const Targets& t, const Tensor& pred_tangent) override;
  Kind targets() const override { return Kind::kLabels; }
  // Softmax of log-probabilities is the distribution itself.
  Probabilities probabilities() const override { return Probabilities::kSoftmax; }
  bool own_class_only_in_training() const override { return true; }
};

// Per-class weights for a classification loss: sample i's loss and gradient are multiplied by
// weights[y_i]. The sum stays over samples (the trainer divides by the batch size, not by the
// summed weights as PyTorch's weighted 'mean' does), so a weight of 1 everywhere changes nothing.
class ClassWeighted final : public Loss {
 public:
  ClassWeighted(std::unique_ptr<Loss> inner, std::vector<float> weights);
  std::string name() const override { return inner_->name(); }
  double forward_backward(const Tensor& pred, const Targets& t, float scale, Tensor grad) override;
  double jvp(const Tensor& pred, const Targets& t, const Tensor& pred_tangent) override;
  Kind targets() const override { return Kind::kLabels; }
  Probabilities probabilities() const override { return inner_->probabilities(); }
  std::optional<double> untrained_loss(int64_t classes) const override {
    return inner_->untrained_loss(classes);
  }

 private:
  std::unique_ptr<Loss> inner_;
  std::vector<float> weights_;
};

// "W0,W1,...", one per class, or "balanced": n / (C n_c) from the training labels (inverse
// class frequency, mean weight 1 over the samples). UsageError naming the problem otherwise.
std::vector<float> parse_class_weights(const std::string& text, const std::vector<int32_t>& labels,
                                       int64_t classes);

// The losses a spec's `loss NAME` line can name: one registration line each in losses.cpp.
struct LossInfo {
  std::string name;
  std::vector<std::string> aliases;
  std::string summary;  // the per-sample loss, one line
  std::unique_ptr<Loss> (*make)() = nullptr;
  // When set, the model builder puts this op between the loss's node and the loss (it owns the
  // loss's parameters), made from the loss line's other options (`loss NAME KEY=VALUE ...`).
  OpFactory head = nullptr;
  std::string options = "";  // those options, for the docs: "`tree=balanced|huffman` ..."
  // The trainer writes classes=C and counts=N0,N1,... (the training split's class counts) into
  // the loss line before building the model, so model files and checkpoints keep them.
  bool class_counts = false;
};
const Registry<LossInfo>& loss_registry();

// The loss called `name` (or an alias); UsageError listing the known ones otherwise.
std::unique_ptr<Loss> make_loss(const std::string& name);
// What a loss's targets must be, for messages: "class-index labels [N]" or ...
std::string describe(Loss::Kind kind);

}  // namespace tandem::ops
