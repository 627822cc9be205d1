#include "tandem/optim/optimizer.hpp"

#include <cmath>

#include "tandem/core/error.hpp"

namespace tandem::optim {
namespace {

// Plain SGD, heavy-ball momentum and Nesterov momentum, in PyTorch's formulation:
// v <- mu v + g; p <- p - lr v (heavy ball) or p <- p - lr (g + mu v) (Nesterov).
class Sgd final : public Optimizer {
 public:
  Sgd(const OptimizerConfig& c, bool momentum, bool nesterov)
      : Optimizer(c), momentum_(momentum), nesterov_(nesterov) {}
  std::string name() const override { return nesterov_ ? "nesterov" : momentum_ ? "momentum" : "sgd"; }
  std::vector<StateArray> state() override {
    if (!momentum_) return {};
    return {{"velocity", &v_}};
  }

 protected:
  void prepare(int64_t n) override {
    if (momentum_ && static_cast<int64_t>(v_.size()) != n) v_.assign(n, 0.0f);
  }
  void update(float* p, const float* g, int64_t b, int64_t e, double lr) override {
    const float l = static_cast<float>(lr), mu = static_cast<float>(config_.momentum);
    if (!momentum_) {
      for (int64_t i = b; i < e; ++i) p[i] -= l * g[i];
      return;
    }
    float* v = v_.data();
    if (nesterov_) {
      for (int64_t i = b; i < e; ++i) {
        v[i] = mu * v[i] + g[i];
        p[i] -= l * (g[i] + mu * v[i]);
      }
    } else {
      for (int64_t i = b; i < e; ++i) {
        v[i] = mu * v[i] + g[i];
        p[i] -= l * v[i];
      }
    }
  }

 private:
  bool momentum_, nesterov_;
  std::vector<float> v_;
};

// Adam (Kingma & Ba) with bias correction.
class Adam final : public Optimizer {
 public:
  explicit Adam(const OptimizerConfig& c) : Optimizer(c) {}
  std::string name() const override { return "adam"; }
  std::vector<StateArray> state() override { return {{"m", &m_}, {"v", &v_}}; }

 protected:
  void prepare(int64_t n) override {
    if (static_cast<int64_t>(m_.size()) != n) {
      m_.assign(n, 0.0f);
      v_.assign(n, 0.0f);
    }
  }
  void update(float* p, const float* g, int64_t b, int64_t e, double lr) override {
    const double t = static_cast<double>(steps_ + 1);
    const float b1 = static_cast<float>(config_.beta1), b2 = static_cast<float>(config_.beta2);
    const float c1 = static_cast<float>(1.0 / (1.0 - std::pow(config_.beta1, t)));
    const float c2 = static_cast<float>(1.0 / (1.0 - std::pow(config_.beta2, t)));
    const float l = static_cast<float>(lr), eps = static_cast<float>(config_.eps);
    float* m = m_.data();
    float* v = v_.data();
    for (int64_t i = b; i < e; ++i) {
      m[i] = b1 * m[i] + (1.0f - b1) * g[i];
      v[i] = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
      p[i] -= l * (m[i] * c1) / (std::sqrt(v[i] * c2) + eps);
    }
  }

 private:
  std::vector<float> m_, v_;
};

}  // namespace

void Optimizer::step(std::span<float> params, std::span<const float> grads, double lr) {
  TANDEM_CHECK(params.size() == grads.size(), "optimizer: ", params.size(), " parameters but ", grads.size(),
               " gradients");
  const int64_t n = static_cast<int64_t>(params.size());
  prepare(n);
  const float* g = grads.data();
  if (config_.weight_decay != 0.0 && !decay_.empty()) {
    if (static_cast<int64_t>(decayed_.size()) != n) decayed_.assign(n, 0.0f);
    std::copy(grads.begin(), grads.end(), decayed_.begin());
    const float wd = static_cast<float>(config_.weight_decay);
    for (auto [b, e] : decay_)
      for (int64_t i = b; i < e; ++i) decayed_[i] += wd * params[i];
    g = decayed_.data();
  }
  update(params.data(), g, 0, n, lr);
  ++steps_;
}

std::unique_ptr<Optimizer> make_optimizer(const OptimizerConfig& c) {
  TANDEM_USAGE_CHECK(c.weight_decay >= 0, "--weight-decay must be >= 0, got ", c.weight_decay);
  if (c.name == "sgd") return std::make_unique<Sgd>(c, false, false);
  if (c.name == "momentum") return std::make_unique<Sgd>(c, true, false);
  if (c.name == "nesterov") return std::make_unique<Sgd>(c, true, true);
  if (c.name == "adam") return std::make_unique<Adam>(c);
  throw UsageError("unknown optimizer '" + c.name + "'; known: sgd, momentum, nesterov, adam");
}

}  // namespace tandem::optim
