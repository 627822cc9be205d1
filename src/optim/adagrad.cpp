#include <cmath>

#include "factories.hpp"
#include "tandem/core/error.hpp"
#include "tandem/core/multiversion.hpp"

namespace tandem::optim {
namespace {

// s <- keep s + add g^2; p <- p - lr g / (sqrt(s) + eps) (outside the class: compiled for
// several instruction sets).
TANDEM_MULTIVERSION void scaled_step(float* p, float* s, const float* g, int64_t b, int64_t e, float keep,
                                     float add, float l, float eps) {
  for (int64_t i = b; i < e; ++i) {
    s[i] = keep * s[i] + add * g[i] * g[i];
    p[i] -= l * g[i] / (std::sqrt(s[i]) + eps);
  }
}

// Adagrad (Duchi et al.): G <- G + g^2; p <- p - lr g / (sqrt(G) + eps).
// RMSprop (Hinton): G <- rho G + (1 - rho) g^2; p <- p - lr g / (sqrt(G) + eps).
class SquaredGradientScaling final : public Optimizer {
 public:
  SquaredGradientScaling(const OptimizerConfig& c, bool rmsprop) : Optimizer(c), rmsprop_(rmsprop) {}
  std::string name() const override { return rmsprop_ ? "rmsprop" : "adagrad"; }
  std::vector<StateArray> state() override { return {{"sum_sq", &sum_sq_}}; }

 protected:
  void prepare(int64_t n) override {
    if (static_cast<int64_t>(sum_sq_.size()) != n) sum_sq_.assign(n, 0.0f);
  }
  void update(float* p, const float* g, const UpdateSlice& s) override {
    const float l = static_cast<float>(s.lr), eps = static_cast<float>(config_.eps);
    const float keep = rmsprop_ ? static_cast<float>(config_.rho) : 1.0f;
    const float add = rmsprop_ ? 1.0f - keep : 1.0f;
    scaled_step(p, sum_sq_.data(), g, s.begin, s.end, keep, add, l, eps);
  }

 private:
  bool rmsprop_;
  std::vector<float> sum_sq_;
};

}  // namespace

std::unique_ptr<Optimizer> make_adagrad(const OptimizerConfig& c) {
  return std::make_unique<SquaredGradientScaling>(c, false);
}
std::unique_ptr<Optimizer> make_rmsprop(const OptimizerConfig& c) {
  return std::make_unique<SquaredGradientScaling>(c, true);
}

}  // namespace tandem::optim
