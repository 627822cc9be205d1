#include <cmath>

#include "factories.hpp"
#include "tandem/core/error.hpp"
#include "tandem/core/multiversion.hpp"

namespace tandem::optim {
namespace {

// m <- b1 m + (1 - b1) g; v <- b2 v + (1 - b2) g^2; p <- p - lr (m c1) / (sqrt(v c2) + eps), with
// the bias corrections c1, c2 (outside the class: compiled for several instruction sets).
TANDEM_MULTIVERSION void adam_step(float* p, float* m, float* v, const float* g, int64_t b, int64_t e,
                                   float b1, float b2, float c1, float c2, float l, float eps) {
  for (int64_t i = b; i < e; ++i) {
    m[i] = b1 * m[i] + (1.0f - b1) * g[i];
    v[i] = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
    p[i] -= l * (m[i] * c1) / (std::sqrt(v[i] * c2) + eps);
  }
}

// Adam (Kingma & Ba) with bias correction; AdamW (Loshchilov & Hutter) decouples the decay.
class Adam final : public Optimizer {
 public:
  Adam(const OptimizerConfig& c, bool decoupled) : Optimizer(c), decoupled_(decoupled) {}
  std::string name() const override { return decoupled_ ? "adamw" : "adam"; }
  DecayRule decay_rule() const override { return decoupled_ ? DecayRule::kDecoupled : DecayRule::kGradient; }
  std::vector<StateArray> state() override { return {{"m", &m_}, {"v", &v_}}; }

 protected:
  void prepare(int64_t n) override {
    if (static_cast<int64_t>(m_.size()) != n) {
      m_.assign(n, 0.0f);
      v_.assign(n, 0.0f);
    }
  }
  void update(float* p, const float* g, const UpdateSlice& s) override {
    const double t = static_cast<double>(steps_ + 1);
    const float b1 = static_cast<float>(config_.beta1), b2 = static_cast<float>(config_.beta2);
    const float c1 = static_cast<float>(1.0 / (1.0 - std::pow(config_.beta1, t)));
    const float c2 = static_cast<float>(1.0 / (1.0 - std::pow(config_.beta2, t)));
    const float l = static_cast<float>(s.lr), eps = static_cast<float>(config_.eps);
    adam_step(p, m_.data(), v_.data(), g, s.begin, s.end, b1, b2, c1, c2, l, eps);
  }

 private:
  bool decoupled_;
  std::vector<float> m_, v_;
};

}  // namespace

std::unique_ptr<Optimizer> make_adam(const OptimizerConfig& c) {
  return std::make_unique<Adam>(c, false);
}
std::unique_ptr<Optimizer> make_adamw(const OptimizerConfig& c) {
  return std::make_unique<Adam>(c, true);
}

}  // namespace tandem::optim
