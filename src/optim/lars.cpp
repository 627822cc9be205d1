// LARS (You, Gitman, Ginsburg 2017, Algorithm 1): per layer (parameter group) l,
//   lambda_l = eta |w_l| / (|g_l| + wd |w_l|)              (the trust ratio; 1 when a norm is 0)
//   v_l <- m v_l + lr lambda_l (g_l + wd w_l);  w_l <- w_l - v_l
// with eta the trust coefficient and m the momentum; the rate sits inside the velocity, as in
// the paper. Groups that do not adapt (biases, batch-norm parameters by default) take
// lambda = 1: momentum SGD of the same form. Norms in double; the gradient is the
// synchronized one, so every rank computes the same ratios.
#include <cmath>

#include "factories.hpp"
#include "tandem/core/multiversion.hpp"

namespace tandem::optim {
namespace {

TANDEM_MULTIVERSION void lars_step(float* p, float* v, const float* g, int64_t b, int64_t e, float rate,
                                   float wd, float mu) {
  for (int64_t i = b; i < e; ++i) {
    v[i] = mu * v[i] + rate * (g[i] + wd * p[i]);
    p[i] -= v[i];
  }
}

class Lars final : public Optimizer {
 public:
  explicit Lars(const OptimizerConfig& c) : Optimizer(c) {}
  std::string name() const override { return "lars"; }
  std::vector<StateArray> state() override { return {{"velocity", &v_}}; }

 protected:
  DecayRule decay_rule() const override { return DecayRule::kInUpdate; }
  void prepare(int64_t n) override {
    if (static_cast<int64_t>(v_.size()) != n) v_.assign(n, 0.0f);
  }
  int segment_sums() const override { return 2; }  // |w|^2, |g|^2
  void partial_sums(float* p, const float* g, const UpdateSlice& s, double* sums) override {
    sums[0] += sum_squares(p, s.begin, s.end);
    sums[1] += sum_squares(g, s.begin, s.end);
  }
  void update(float* p, const float* g, const UpdateSlice& s) override {
    double ratio = 1.0;
    if (s.adapt) {
      const double w = std::sqrt(s.sums[0]), gn = std::sqrt(s.sums[1]);
      const double denominator = gn + s.weight_decay * w;
      if (w > 0 && denominator > 0) ratio = config_.trust_coefficient * w / denominator;
    }
    lars_step(p, v_.data(), g, s.begin, s.end, static_cast<float>(s.lr * ratio),
              static_cast<float>(s.weight_decay), static_cast<float>(config_.momentum));
  }

 private:
  std::vector<float> v_;
};

}  // namespace

std::unique_ptr<Optimizer> make_lars(const OptimizerConfig& c) {
  return std::make_unique<Lars>(c);
}

}  // namespace tandem::optim
