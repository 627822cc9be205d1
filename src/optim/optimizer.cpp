#include "tandem/optim/optimizer.hpp"

#include <cmath>
#include <cstdlib>

#include "tandem/core/error.hpp"
#include "tandem/core/multiversion.hpp"

namespace tandem::optim {

void Optimizer::set_groups(std::vector<ParamGroup> groups) {
  for (size_t i = 0; i < groups.size(); ++i)
    TANDEM_CHECK(groups[i].begin <= groups[i].end && (i == 0 || groups[i - 1].end <= groups[i].begin),
                 "optimizer: parameter groups must be ascending and disjoint");
  groups_ = std::move(groups);
}

TANDEM_MULTIVERSION void Optimizer::step(std::span<float> params, std::span<const float> grads, double lr) {
  TANDEM_CHECK(params.size() == grads.size(), "optimizer: ", params.size(), " parameters but ", grads.size(),
               " gradients");
  const int64_t n = static_cast<int64_t>(params.size());
  prepare(n);
  const float* g = grads.data();
  const bool decoupled = decay_rule() == DecayRule::kDecoupled;
  const bool in_gradient = decay_rule() == DecayRule::kGradient;
  bool penalized = false;
  for (const auto& grp : groups_) {
    if (decoupled && grp.weight_decay != 0.0) {  // AdamW: p <- p (1 - lr wd), outside the gradient
      const auto shrink = static_cast<float>(1.0 - lr * grp.lr_scale * grp.weight_decay);
      for (int64_t i = grp.begin; i < grp.end; ++i) params[i] *= shrink;
    }
    penalized = penalized || grp.l1 != 0.0 || (in_gradient && grp.weight_decay != 0.0);
  }
  if (penalized) {
    if (static_cast<int64_t>(decayed_.size()) != n) decayed_.assign(n, 0.0f);
    std::copy(grads.begin(), grads.end(), decayed_.begin());
    for (const auto& grp : groups_) {
      const float wd = in_gradient ? static_cast<float>(grp.weight_decay) : 0.0f,
                  l1 = static_cast<float>(grp.l1);
      if (wd == 0.0f && l1 == 0.0f) continue;
      for (int64_t i = grp.begin; i < grp.end; ++i)
        decayed_[i] += wd * params[i] + l1 * static_cast<float>((params[i] > 0) - (params[i] < 0));
    }
    g = decayed_.data();
  }
  // Each group at its own rate; the gaps between groups at lr.
  int64_t done = 0;
  for (const auto& grp : groups_) {
    if (grp.begin > done) update(params.data(), g, {done, grp.begin, lr, 0.0, true});
    if (grp.end > grp.begin)
      update(params.data(), g, {grp.begin, grp.end, lr * grp.lr_scale, grp.weight_decay, grp.adapt});
    done = grp.end;
  }
  if (done < n) update(params.data(), g, {done, n, lr, 0.0, true});
  ++steps_;
}

void apply_max_norm(std::span<float> params, const std::vector<WeightRows>& weights, double max_norm) {
  for (const auto& w : weights)
    for (int64_t r = 0; r < w.rows; ++r) {
      float* row = params.data() + w.offset + r * w.cols;
      double sq = 0;
      for (int64_t k = 0; k < w.cols; ++k) sq += static_cast<double>(row[k]) * row[k];
      const double norm = std::sqrt(sq);
      if (norm <= max_norm) continue;
      const auto f = static_cast<float>(max_norm / norm);
      for (int64_t k = 0; k < w.cols; ++k) row[k] *= f;
    }
}

void validate(const OptimizerConfig& c) {
  optimizer_registry().get(c.name, "--optimizer: ");
  TANDEM_USAGE_CHECK(c.momentum >= 0 && c.momentum < 1, "--momentum must be in [0, 1), got ", c.momentum);
  TANDEM_USAGE_CHECK(c.beta1 >= 0 && c.beta1 < 1, "--beta1 must be in [0, 1), got ", c.beta1);
  TANDEM_USAGE_CHECK(c.beta2 >= 0 && c.beta2 < 1, "--beta2 must be in [0, 1), got ", c.beta2);
  TANDEM_USAGE_CHECK(c.eps > 0, "--adam-eps must be positive, got ", c.eps);
  TANDEM_USAGE_CHECK(c.rho > 0 && c.rho < 1, "--rho must be in (0, 1), got ", c.rho);
  TANDEM_USAGE_CHECK(c.weight_decay >= 0, "--weight-decay must be >= 0, got ", c.weight_decay);
  TANDEM_USAGE_CHECK(c.l1 >= 0, "--l1 must be >= 0, got ", c.l1);
  TANDEM_USAGE_CHECK(c.trust_coefficient > 0, "--trust-coefficient must be positive, got ",
                     c.trust_coefficient);
  TANDEM_USAGE_CHECK(c.history >= 1, "--lbfgs-history must be >= 1, got ", c.history);
  TANDEM_USAGE_CHECK(c.tolerance >= 0, "--lbfgs-tol must be >= 0, got ", c.tolerance);
  TANDEM_USAGE_CHECK(c.max_evals >= 2,
                     "--lbfgs-max-evals must be >= 2 (a line search compares two points), got ", c.max_evals);
}

std::unique_ptr<Optimizer> make_optimizer(const OptimizerConfig& c) {
  validate(c);
  return optimizer_registry().get(c.name).make(c);
}

}  // namespace tandem::optim
