#include <cmath>

#include "factories.hpp"
#include "tandem/core/error.hpp"
#include "tandem/core/multiversion.hpp"

namespace tandem::optim {
namespace {

// The update loops, outside the class so that they can be compiled for several instruction
// sets (core/multiversion.hpp): v <- mu v + g; p <- p - lr v, or p <- p - lr (g + mu v).
TANDEM_MULTIVERSION void plain_step(float* p, const float* g, int64_t b, int64_t e, float l) {
  for (int64_t i = b; i < e; ++i) p[i] -= l * g[i];
}

TANDEM_MULTIVERSION void momentum_step(float* p, float* v, const float* g, int64_t b, int64_t e, float l,
                                       float mu, bool nesterov) {
  if (nesterov) {
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
  void update(float* p, const float* g, const UpdateSlice& s) override {
    const float l = static_cast<float>(s.lr), mu = static_cast<float>(config_.momentum);
    if (momentum_)
      momentum_step(p, v_.data(), g, s.begin, s.end, l, mu, nesterov_);
    else
      plain_step(p, g, s.begin, s.end, l);
  }

 private:
  bool momentum_, nesterov_;
  std::vector<float> v_;
};

}  // namespace

std::unique_ptr<Optimizer> make_sgd(const OptimizerConfig& c) {
  return std::make_unique<Sgd>(c, false, false);
}
std::unique_ptr<Optimizer> make_momentum(const OptimizerConfig& c) {
  return std::make_unique<Sgd>(c, true, false);
}
std::unique_ptr<Optimizer> make_nesterov(const OptimizerConfig& c) {
  return std::make_unique<Sgd>(c, true, true);
}

}  // namespace tandem::optim
