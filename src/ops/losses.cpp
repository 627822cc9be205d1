#include "tandem/ops/losses.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "tandem/core/error.hpp"
#include "tandem/ops/hierarchical_softmax.hpp"

namespace tandem::ops {

double SoftmaxCrossEntropy::forward_backward(const Tensor& pred, const Targets& t, float scale, Tensor grad) {
  const int64_t batch = pred.dim(0), k = pred.dim(1);
  double total = 0;
  for (int64_t r = 0; r < batch; ++r) {
    const float* z = pred.data() + r * k;
    const int32_t y = t.labels[r];
    const float m = *std::max_element(z, z + k);
    double sum = 0;
    for (int64_t j = 0; j < k; ++j) sum += std::exp(static_cast<double>(z[j] - m));
    const double log_z = std::log(sum) + m;
    total += log_z - z[y];
    if (t.per_sample) t.per_sample[r] = static_cast<float>(log_z - z[y]);
    if (!grad.empty()) {
      float* g = grad.data() + r * k;
      for (int64_t j = 0; j < k; ++j)
        g[j] = scale * static_cast<float>(std::exp(z[j] - log_z) - (j == y ? 1.0 : 0.0));
    }
  }
  return total;
}

double SoftmaxCrossEntropy::jvp(const Tensor& pred, const Targets& t, const Tensor& dz) {
  const int64_t batch = pred.dim(0), k = pred.dim(1);
  double total = 0;
  for (int64_t r = 0; r < batch; ++r) {
    const float* z = pred.data() + r * k;
    const float* d = dz.data() + r * k;
    const float m = *std::max_element(z, z + k);
    double sum = 0, dot = 0;
    for (int64_t j = 0; j < k; ++j) {
      const double e = std::exp(static_cast<double>(z[j] - m));
      sum += e;
      dot += e * d[j];
    }
    total += dot / sum - d[t.labels[r]];
  }
  return total;
}

namespace {

float dense_or_one_hot(const Targets& t, int64_t row, int64_t k, int64_t col) {
  if (t.labels) return t.labels[row] == col ? 1.0f : 0.0f;
  return t.values.data()[row * k + col];
}

// Losses that are the mean over the K outputs of f(pred - target): the sum over the batch,
// with grad = scale * f'(d) / K, and the directional derivative along dp.
template <class F, class DF>
double mean_of_elementwise(const Tensor& pred, const Targets& t, float scale, Tensor grad, F f, DF df) {
  const int64_t batch = pred.dim(0), k = pred.numel() / std::max<int64_t>(batch, 1);
  const float gscale = scale / static_cast<float>(k);
  double total = 0;
  for (int64_t r = 0; r < batch; ++r) {
    double s = 0;
    for (int64_t j = 0; j < k; ++j) {
      const float d = pred.data()[r * k + j] - dense_or_one_hot(t, r, k, j);
      s += f(static_cast<double>(d));
      if (!grad.empty()) grad.data()[r * k + j] = gscale * df(d);
    }
    total += s / static_cast<double>(k);
    if (t.per_sample) t.per_sample[r] = static_cast<float>(s / static_cast<double>(k));
  }
  return total;
}

template <class DF>
double mean_of_elementwise_jvp(const Tensor& pred, const Targets& t, const Tensor& dp, DF df) {
  const int64_t batch = pred.dim(0), k = pred.numel() / std::max<int64_t>(batch, 1);
  double total = 0;
  for (int64_t r = 0; r < batch; ++r)
    for (int64_t j = 0; j < k; ++j)
      total += static_cast<double>(df(pred.data()[r * k + j] - dense_or_one_hot(t, r, k, j))) *
               dp.data()[r * k + j] / static_cast<double>(k);
  return total;
}

float twice(float d) {
  return 2.0f * d;
}
float sign(float d) {
  return static_cast<float>((d > 0) - (d < 0));
}

}  // namespace

double MeanSquaredError::forward_backward(const Tensor& pred, const Targets& t, float scale, Tensor grad) {
  return mean_of_elementwise(
      pred, t, scale, grad, [](double d) { return d * d; }, twice);
}

double MeanSquaredError::jvp(const Tensor& pred, const Targets& t, const Tensor& dp) {
  return mean_of_elementwise_jvp(pred, t, dp, twice);
}

double BinaryCrossEntropyLogits::forward_backward(const Tensor& pred, const Targets& t, float scale,
                                                  Tensor grad) {
  const int64_t batch = pred.dim(0), k = pred.numel() / std::max<int64_t>(batch, 1);
  const double gscale = static_cast<double>(scale) / static_cast<double>(k);
  double total = 0;
  for (int64_t r = 0; r < batch; ++r) {
    double s = 0;
    for (int64_t j = 0; j < k; ++j) {
      const double z = pred.data()[r * k + j], y = t.values.data()[r * k + j];
      s += std::max(z, 0.0) - z * y + std::log1p(std::exp(-std::abs(z)));
      if (!grad.empty())
        grad.data()[r * k + j] = static_cast<float>(gscale * (1.0 / (1.0 + std::exp(-z)) - y));
    }
    total += s / static_cast<double>(k);
    if (t.per_sample) t.per_sample[r] = static_cast<float>(s / static_cast<double>(k));
  }
  return total;
}

double BinaryCrossEntropyLogits::jvp(const Tensor& pred, const Targets& t, const Tensor& dp) {
  const int64_t batch = pred.dim(0), k = pred.numel() / std::max<int64_t>(batch, 1);
  double total = 0;
  for (int64_t i = 0; i < batch * k; ++i) {
    const double z = pred.data()[i];
    total += (1.0 / (1.0 + std::exp(-z)) - t.values.data()[i]) * dp.data()[i];
  }
  return total / static_cast<double>(k);
}

double L1::forward_backward(const Tensor& pred, const Targets& t, float scale, Tensor grad) {
  return mean_of_elementwise(
      pred, t, scale, grad, [](double d) { return std::abs(d); }, sign);
}

double L1::jvp(const Tensor& pred, const Targets& t, const Tensor& dp) {
  return mean_of_elementwise_jvp(pred, t, dp, sign);
}

double MulticlassHinge::forward_backward(const Tensor& pred, const Targets& t, float scale, Tensor grad) {
  const int64_t batch = pred.dim(0), k = pred.dim(1);
  double total = 0;
  for (int64_t r = 0; r < batch; ++r) {
    const float* z = pred.data() + r * k;
    const int32_t y = t.labels[r];
    float* g = grad.empty() ? nullptr : grad.data() + r * k;
    if (g) std::fill(g, g + k, 0.0f);
    double row = 0;
    for (int64_t j = 0; j < k; ++j) {
      if (j == y) continue;
      const double margin = static_cast<double>(z[j]) - z[y] + 1.0;
      if (margin <= 0) continue;
      row += squared_ ? margin * margin : margin;
      if (g) {
        const float d = scale * static_cast<float>(squared_ ? 2.0 * margin : 1.0);
        g[j] += d;
        g[y] -= d;
      }
    }
    total += row;
    if (t.per_sample) t.per_sample[r] = static_cast<float>(row);
  }
  return total;
}

double MulticlassHinge::jvp(const Tensor& pred, const Targets& t, const Tensor& dz) {
  const int64_t batch = pred.dim(0), k = pred.dim(1);
  double total = 0;
  for (int64_t r = 0; r < batch; ++r) {
    const float* z = pred.data() + r * k;
    const float* d = dz.data() + r * k;
    const int32_t y = t.labels[r];
    for (int64_t j = 0; j < k; ++j) {
      const double margin = static_cast<double>(z[j]) - z[y] + 1.0;
      if (j == y || margin <= 0) continue;
      total += (squared_ ? 2.0 * margin : 1.0) * (d[j] - d[y]);
    }
  }
  return total;
}

ClassWeighted::ClassWeighted(std::unique_ptr<Loss> inner, std::vector<float> weights)
    : inner_(std::move(inner)), weights_(std::move(weights)) {
  TANDEM_USAGE_CHECK(inner_->targets() != Kind::kValues, "class weights need class-index labels, but loss ",
                     inner_->name(), " takes dense targets");
}

// Row by row through the inner loss, each row scaled by its class's weight.
double ClassWeighted::forward_backward(const Tensor& pred, const Targets& t, float scale, Tensor grad) {
  const int64_t batch = pred.dim(0), k = pred.numel() / std::max<int64_t>(batch, 1);
  double total = 0;
  for (int64_t r = 0; r < batch; ++r) {
    const float w = weights_[t.labels[r]];
    Targets row;
    row.labels = t.labels + r;
    row.per_sample = t.per_sample ? t.per_sample + r : nullptr;
    row.own_class_only = t.own_class_only;
    const Tensor g = grad.empty() ? Tensor() : Tensor(grad.data() + r * k, Shape{1, k});
    total += w * inner_->forward_backward(Tensor(pred.data() + r * k, Shape{1, k}), row, scale * w, g);
  }
  return total;
}

double ClassWeighted::jvp(const Tensor& pred, const Targets& t, const Tensor& dp) {
  const int64_t batch = pred.dim(0), k = pred.numel() / std::max<int64_t>(batch, 1);
  double total = 0;
  for (int64_t r = 0; r < batch; ++r) {
    Targets row;
    row.labels = t.labels + r;
    total += weights_[t.labels[r]] * inner_->jvp(Tensor(pred.data() + r * k, Shape{1, k}), row,
                                                 Tensor(dp.data() + r * k, Shape{1, k}));
  }
  return total;
}

std::vector<float> parse_class_weights(const std::string& text, const std::vector<int32_t>& labels,
                                       int64_t classes) {
  std::vector<float> w;
  if (text == "balanced") {
    std::vector<double> count(static_cast<size_t>(classes), 0.0);
    for (int32_t y : labels) count[y] += 1;
    for (int64_t c = 0; c < classes; ++c)
      w.push_back(count[c] > 0 ? static_cast<float>(static_cast<double>(labels.size()) / (classes * count[c]))
                               : 0.0f);
    return w;
  }
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    char* end = nullptr;
    const double v = std::strtod(item.c_str(), &end);
    TANDEM_USAGE_CHECK(!item.empty() && end && *end == '\0' && v >= 0 && std::isfinite(v),
                       "--class-weights: '", item,
                       "' is not a non-negative number; give W0,W1,... or balanced");
    w.push_back(static_cast<float>(v));
    start = comma + 1;
  }
  TANDEM_USAGE_CHECK(static_cast<int64_t>(w.size()) == classes, "--class-weights has ", w.size(),
                     " weight(s) but the model has ", classes, " classes; give one per class or 'balanced'");
  return w;
}

std::optional<double> SoftmaxCrossEntropy::untrained_loss(int64_t classes) const {
  return std::log(static_cast<double>(classes));  // every class about equally likely
}

const Registry<LossInfo>& loss_registry() {
  // A table: one registration per entry, formatted by hand.
  // clang-format off
  static const Registry<LossInfo> registry("loss", "losses", {
      {"softmax_cross_entropy", {"cross_entropy"},
       "log-sum-exp(z) − z_y, fused and stable (the maximum subtracted); gradient softmax(z) − e_y",
       []() -> std::unique_ptr<Loss> { return std::make_unique<SoftmaxCrossEntropy>(); }},
      {"bce_logits", {"binary_cross_entropy"},
       "multi-label: mean over K labels of max(z, 0) − z·t + log(1 + e^−|z|) (PyTorch's `BCEWithLogitsLoss`)",
       []() -> std::unique_ptr<Loss> { return std::make_unique<BinaryCrossEntropyLogits>(); }},
      {"mse", {}, "mean over outputs of (p − t)²; class labels read as one-hot targets",
       []() -> std::unique_ptr<Loss> { return std::make_unique<MeanSquaredError>(); }},
      {"l1", {}, "mean over outputs of |p − t|; class labels read as one-hot targets",
       []() -> std::unique_ptr<Loss> { return std::make_unique<L1>(); }},
      {"hinge", {}, "multi-class (Weston-Watkins) hinge Σ_{j≠y} max(0, z_j − z_y + 1)",
       []() -> std::unique_ptr<Loss> { return std::make_unique<MulticlassHinge>(false); }},
      {"squared_hinge", {}, "the hinge's terms squared",
       []() -> std::unique_ptr<Loss> { return std::make_unique<MulticlassHinge>(true); }},
      {"hierarchical_softmax", {"hsoftmax"},
       "−log p(y|x), p a product of σ(±(w_n·x + b_n)) down a class tree: O(D log C) per sample in training, "
       "all C probabilities in evaluation",
       []() -> std::unique_ptr<Loss> { return std::make_unique<HierarchicalSoftmaxLoss>(); },
       make_hierarchical_softmax, "`tree=balanced|huffman init=zeros` (`classes=`, `counts=` filled in by train)",
       true},
  });
  // clang-format on
  return registry;
}

std::unique_ptr<Loss> make_loss(const std::string& name) {
  return loss_registry().get(name).make();
}

std::string describe(Loss::Kind kind) {
  switch (kind) {
    case Loss::Kind::kLabels: return "int32 class indices [N]";
    case Loss::Kind::kValues: return "float32 targets [N, K]";
    case Loss::Kind::kEither: break;
  }
  return "int32 class indices [N] or float32 targets [N, K]";
}

}  // namespace tandem::ops
