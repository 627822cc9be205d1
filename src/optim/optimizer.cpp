#include "tandem/optim/optimizer.hpp"

#include <cmath>
#include <cstdlib>

#include "tandem/core/error.hpp"
#include "tandem/optim/lbfgs.hpp"

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

// Adam (Kingma & Ba) with bias correction; AdamW (Loshchilov & Hutter) decouples the decay.
class Adam final : public Optimizer {
 public:
  Adam(const OptimizerConfig& c, bool decoupled) : Optimizer(c), decoupled_(decoupled) {}
  std::string name() const override { return decoupled_ ? "adamw" : "adam"; }
  bool decoupled_decay() const override { return decoupled_; }
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
  bool decoupled_;
  std::vector<float> m_, v_;
};

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
  void update(float* p, const float* g, int64_t b, int64_t e, double lr) override {
    const float l = static_cast<float>(lr), eps = static_cast<float>(config_.eps);
    const float keep = rmsprop_ ? static_cast<float>(config_.rho) : 1.0f;
    const float add = rmsprop_ ? 1.0f - keep : 1.0f;
    float* s = sum_sq_.data();
    for (int64_t i = b; i < e; ++i) {
      s[i] = keep * s[i] + add * g[i] * g[i];
      p[i] -= l * g[i] / (std::sqrt(s[i]) + eps);
    }
  }

 private:
  bool rmsprop_;
  std::vector<float> sum_sq_;
};

}  // namespace

void Optimizer::set_groups(std::vector<ParamGroup> groups) {
  for (size_t i = 0; i < groups.size(); ++i)
    TANDEM_CHECK(groups[i].begin <= groups[i].end && (i == 0 || groups[i - 1].end <= groups[i].begin),
                 "optimizer: parameter groups must be ascending and disjoint");
  groups_ = std::move(groups);
}

void Optimizer::step(std::span<float> params, std::span<const float> grads, double lr) {
  TANDEM_CHECK(params.size() == grads.size(), "optimizer: ", params.size(), " parameters but ", grads.size(),
               " gradients");
  const int64_t n = static_cast<int64_t>(params.size());
  prepare(n);
  const float* g = grads.data();
  const bool decoupled = decoupled_decay();
  bool penalized = false;
  for (const auto& grp : groups_) {
    if (decoupled && grp.weight_decay != 0.0) {  // AdamW: p <- p (1 - lr wd), outside the gradient
      const auto shrink = static_cast<float>(1.0 - lr * grp.lr_scale * grp.weight_decay);
      for (int64_t i = grp.begin; i < grp.end; ++i) params[i] *= shrink;
    }
    penalized = penalized || grp.l1 != 0.0 || (!decoupled && grp.weight_decay != 0.0);
  }
  if (penalized) {
    if (static_cast<int64_t>(decayed_.size()) != n) decayed_.assign(n, 0.0f);
    std::copy(grads.begin(), grads.end(), decayed_.begin());
    for (const auto& grp : groups_) {
      const float wd = decoupled ? 0.0f : static_cast<float>(grp.weight_decay),
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
    if (grp.begin > done) update(params.data(), g, done, grp.begin, lr);
    if (grp.end > grp.begin) update(params.data(), g, grp.begin, grp.end, lr * grp.lr_scale);
    done = grp.end;
  }
  if (done < n) update(params.data(), g, done, n, lr);
  ++steps_;
}

std::vector<GroupRule> parse_group_rules(const std::string& text) {
  std::vector<GroupRule> rules;
  size_t start = 0;
  while (start < text.size()) {
    const size_t semi = std::min(text.find(';', start), text.size());
    const std::string rule = text.substr(start, semi - start);
    start = semi + 1;
    if (rule.empty()) continue;
    const size_t colon = rule.find(':');
    TANDEM_USAGE_CHECK(colon != std::string::npos && colon > 0, "--param-groups rule '", rule,
                       "' needs PATTERN:key=value, e.g. '*.bias:weight_decay=0,lr_scale=2'");
    GroupRule r;
    r.pattern = rule.substr(0, colon);
    size_t pos = colon + 1;
    while (pos <= rule.size()) {
      const size_t comma = std::min(rule.find(',', pos), rule.size());
      const std::string kv = rule.substr(pos, comma - pos);
      pos = comma + 1;
      const size_t eq = kv.find('=');
      const std::string key = kv.substr(0, eq);
      TANDEM_USAGE_CHECK(eq != std::string::npos, "--param-groups rule '", rule, "': '", kv,
                         "' is not key=value (keys: weight_decay, l1, lr_scale)");
      char* end = nullptr;
      const std::string value = kv.substr(eq + 1);
      const double v = std::strtod(value.c_str(), &end);
      TANDEM_USAGE_CHECK(!value.empty() && *end == '\0' && std::isfinite(v) && v >= 0,
                         "--param-groups rule '", rule, "': ", key, " needs a non-negative number, got '",
                         value, "'");
      if (key == "weight_decay")
        r.weight_decay = v;
      else if (key == "l1")
        r.l1 = v;
      else if (key == "lr_scale")
        r.lr_scale = v;
      else
        throw UsageError("--param-groups rule '" + rule + "': unknown key '" + key +
                         "'; keys: weight_decay, l1, lr_scale");
    }
    rules.push_back(r);
  }
  return rules;
}

bool glob_match(const std::string& pattern, const std::string& name) {
  // Iterative wildcard matching with backtracking to the last '*'.
  size_t p = 0, n = 0, star = std::string::npos, mark = 0;
  while (n < name.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == name[n])) {
      ++p, ++n;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++, mark = n;
    } else if (star != std::string::npos) {
      p = star + 1, n = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
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

const Registry<OptimizerInfo>& optimizer_registry() {
  using C = const OptimizerConfig&;
  using Made = std::unique_ptr<Optimizer>;
  static const Registry<OptimizerInfo> registry("optimizer", "optimizers", {
      {"sgd", {}, "p ← p − η·g", [](C c) -> Made { return std::make_unique<Sgd>(c, false, false); }},
      {"momentum", {}, "heavy ball, PyTorch's form: v ← μv + g; p ← p − η·v (`--momentum` μ)",
       [](C c) -> Made { return std::make_unique<Sgd>(c, true, false); }},
      {"nesterov", {}, "v ← μv + g; p ← p − η·(g + μv)",
       [](C c) -> Made { return std::make_unique<Sgd>(c, true, true); }},
      {"adam", {}, "bias-corrected moments (`--beta1 --beta2 --adam-eps`): p ← p − η·m̂/(√v̂ + ε)",
       [](C c) -> Made { return std::make_unique<Adam>(c, false); }},
      {"adamw", {}, "Adam with decoupled weight decay p ← p − η·wd·p",
       [](C c) -> Made { return std::make_unique<Adam>(c, true); }},
      {"adagrad", {}, "G ← G + g²; p ← p − η·g/(√G + ε)",
       [](C c) -> Made { return std::make_unique<SquaredGradientScaling>(c, false); }},
      {"rmsprop", {}, "G ← ρG + (1 − ρ)g²; p ← p − η·g/(√G + ε) (`--rho` ρ)",
       [](C c) -> Made { return std::make_unique<SquaredGradientScaling>(c, true); }},
      {"lbfgs", {}, "full batch: two-loop recursion, strong-Wolfe line search (`--lbfgs-*`)",
       [](C c) -> Made { return std::make_unique<Lbfgs>(c); }, true},
  });
  return registry;
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
  TANDEM_USAGE_CHECK(c.history >= 1, "--lbfgs-history must be >= 1, got ", c.history);
  TANDEM_USAGE_CHECK(c.tolerance >= 0, "--lbfgs-tol must be >= 0, got ", c.tolerance);
  TANDEM_USAGE_CHECK(c.max_evals >= 2, "--lbfgs-max-evals must be >= 2 (a line search compares two points), got ",
                     c.max_evals);
}

std::unique_ptr<Optimizer> make_optimizer(const OptimizerConfig& c) {
  validate(c);
  return optimizer_registry().get(c.name).make(c);
}

}  // namespace tandem::optim
