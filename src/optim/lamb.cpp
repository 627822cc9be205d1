// LAMB (You et al. 2019, Algorithm 2, phi the identity): per layer (parameter group) l,
//   m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;  m^ = m / (1 - b1^t);  v^ = v / (1 - b2^t)
//   u_l = m^ / (sqrt(v^) + eps) + wd w_l
//   w_l <- w_l - lr |w_l| / |u_l| u_l                        (the ratio is 1 when a norm is 0)
// Groups that do not adapt (biases, batch-norm parameters by default) step by lr u: Adam with
// decoupled decay. Norms in double; the gradient is the synchronized one, so every rank
// computes the same ratios.
#include <cmath>

#include "factories.hpp"
#include "tandem/core/multiversion.hpp"

namespace tandem::optim {
namespace {

// The moments, and the update direction u into `u`.
TANDEM_MULTIVERSION void lamb_direction(float* u, float* m, float* v, const float* p, const float* g,
                                        int64_t b, int64_t e, float b1, float b2, float c1, float c2,
                                        float eps, float wd) {
  for (int64_t i = b; i < e; ++i) {
    m[i] = b1 * m[i] + (1.0f - b1) * g[i];
    v[i] = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
    u[i] = (m[i] * c1) / (std::sqrt(v[i] * c2) + eps) + wd * p[i];
  }
}

TANDEM_MULTIVERSION void scaled_descent(float* p, const float* u, int64_t b, int64_t e, float rate) {
  for (int64_t i = b; i < e; ++i) p[i] -= rate * u[i];
}

class Lamb final : public Optimizer {
 public:
  explicit Lamb(const OptimizerConfig& c) : Optimizer(c) {}
  std::string name() const override { return "lamb"; }
  std::vector<StateArray> state() override { return {{"m", &m_}, {"v", &v_}}; }

 protected:
  DecayRule decay_rule() const override { return DecayRule::kInUpdate; }
  void prepare(int64_t n) override {
    if (static_cast<int64_t>(m_.size()) == n) return;
    m_.assign(n, 0.0f);
    v_.assign(n, 0.0f);
    u_.assign(n, 0.0f);
  }
  int segment_sums() const override { return 2; }  // |w|^2, |u|^2
  // The moments and the direction u first, and the parts of the norms.
  void partial_sums(float* p, const float* g, const UpdateSlice& s, double* sums) override {
    const double t = static_cast<double>(steps_ + 1);
    const auto c1 = static_cast<float>(1.0 / (1.0 - std::pow(config_.beta1, t)));
    const auto c2 = static_cast<float>(1.0 / (1.0 - std::pow(config_.beta2, t)));
    lamb_direction(u_.data(), m_.data(), v_.data(), p, g, s.begin, s.end, static_cast<float>(config_.beta1),
                   static_cast<float>(config_.beta2), c1, c2, static_cast<float>(config_.eps),
                   static_cast<float>(s.weight_decay));
    sums[0] += sum_squares(p, s.begin, s.end);
    sums[1] += sum_squares(u_.data(), s.begin, s.end);
  }
  void update(float* p, const float*, const UpdateSlice& s) override {
    double ratio = 1.0;
    if (s.adapt) {
      const double w = std::sqrt(s.sums[0]), u = std::sqrt(s.sums[1]);
      if (w > 0 && u > 0) ratio = w / u;
    }
    scaled_descent(p, u_.data(), s.begin, s.end, static_cast<float>(s.lr * ratio));
  }

 private:
  std::vector<float> m_, v_;
  std::vector<float> u_;  // the update direction, scratch
};

}  // namespace

std::unique_ptr<Optimizer> make_lamb(const OptimizerConfig& c) {
  return std::make_unique<Lamb>(c);
}

}  // namespace tandem::optim
