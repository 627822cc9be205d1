#include "tandem/optim/optimizer.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "factories.hpp"
#include "tandem/core/error.hpp"
#include "tandem/core/multiversion.hpp"

namespace tandem::optim {

void Optimizer::set_groups(std::vector<ParamGroup> groups) {
  for (size_t i = 0; i < groups.size(); ++i)
    TANDEM_ASSERT(groups[i].begin <= groups[i].end && (i == 0 || groups[i - 1].end <= groups[i].begin),
                  "optimizer: parameter groups must be ascending and disjoint");
  groups_ = std::move(groups);
  planned_n_ = -1;
}

void Optimizer::set_partition(Partition partition) {
  const auto& b = partition.bounds;
  for (size_t i = 1; i < b.size(); ++i)
    TANDEM_ASSERT(b[i - 1] <= b[i], "optimizer: pieces must be ascending");
  TANDEM_ASSERT(partition.owned < 0 || (partition.gather && partition.owned + 1 < static_cast<int>(b.size())),
                "optimizer: a sharded partition needs its piece and a way to gather sums");
  partition_ = std::move(partition);
  planned_n_ = -1;
}

std::pair<int64_t, int64_t> Optimizer::owned_range(int64_t n) const {
  if (partition_.owned < 0 || partition_.bounds.empty()) return {0, n};
  return {partition_.bounds[partition_.owned], partition_.bounds[partition_.owned + 1]};
}

// Segments (each group, each gap between groups, at lr without decay) cut at piece bounds.
void Optimizer::plan_slices(int64_t n) {
  auto bounds = partition_.bounds;
  if (bounds.empty()) bounds = {0, n};
  TANDEM_ASSERT(bounds.front() == 0 && bounds.back() == n, "optimizer: pieces cover ", bounds.back(),
                " parameters, the arena has ", n);
  slices_.clear();
  segments_ = 0;
  auto add = [&](int64_t begin, int64_t end, double lr_scale, double wd, bool adapt) {
    if (end <= begin) return;
    for (size_t q = 0; q + 1 < bounds.size(); ++q) {
      const int64_t b = std::max(begin, bounds[q]), e = std::min(end, bounds[q + 1]);
      if (b < e) slices_.push_back({b, e, static_cast<int>(q), segments_, lr_scale, wd, adapt});
    }
    ++segments_;
  };
  int64_t done = 0;
  for (const auto& grp : groups_) {
    add(done, grp.begin, 1.0, 0.0, true);
    if (!grp.frozen) add(grp.begin, grp.end, grp.lr_scale, grp.weight_decay, grp.adapt);  // frozen: no slice
    done = grp.end;
  }
  add(done, n, 1.0, 0.0, true);
  const auto k = static_cast<size_t>(segments_ * segment_sums());
  sums_.assign(k * (bounds.size() - 1), 0.0);
  all_sums_.assign(sums_.size(), 0.0);
  totals_.assign(k, 0.0);
  planned_n_ = n;
}

// AdamW's decoupled decay on the parameters; L1 and (under kGradient) L2 into decayed_.
TANDEM_MULTIVERSION void Optimizer::apply_penalties(std::span<float> params, std::span<const float> grads,
                                                    double lr, int64_t lo, int64_t hi) {
  const bool decoupled = decay_rule() == DecayRule::kDecoupled;
  const bool in_gradient = decay_rule() == DecayRule::kGradient;
  bool penalized = false;
  for (const auto& grp : groups_) {
    if (grp.frozen) continue;
    const int64_t b = std::max(grp.begin, lo), e = std::min(grp.end, hi);
    if (decoupled && grp.weight_decay != 0.0) {  // AdamW: p <- p (1 - lr wd), outside the gradient
      const auto shrink = static_cast<float>(1.0 - lr * grp.lr_scale * grp.weight_decay);
      for (int64_t i = b; i < e; ++i) params[i] *= shrink;
    }
    penalized = penalized || grp.l1 != 0.0 || (in_gradient && grp.weight_decay != 0.0);
  }
  penalized_ = nullptr;
  if (!penalized) return;
  if (static_cast<int64_t>(decayed_.size()) != hi - lo) decayed_.assign(hi - lo, 0.0f);
  std::copy(grads.begin() + lo, grads.begin() + hi, decayed_.begin());
  float* d = decayed_.data() - lo;  // indexed by arena offset
  for (const auto& grp : groups_) {
    const float wd = in_gradient ? static_cast<float>(grp.weight_decay) : 0.0f,
                l1 = static_cast<float>(grp.l1);
    if (grp.frozen || (wd == 0.0f && l1 == 0.0f)) continue;
    const int64_t b = std::max(grp.begin, lo), e = std::min(grp.end, hi);
    for (int64_t i = b; i < e; ++i)
      d[i] += wd * params[i] + l1 * static_cast<float>((params[i] > 0) - (params[i] < 0));
  }
  penalized_ = decayed_.data();
}

// Per-piece sums to per-segment totals, added in piece order whoever computed each piece.
void Optimizer::complete_sums() {
  const auto k = totals_.size();
  const double* all = sums_.data();
  if (partition_.owned >= 0) {
    partition_.gather(sums_.data() + partition_.owned * k, static_cast<int64_t>(k), all_sums_.data());
    all = all_sums_.data();
  }
  std::fill(totals_.begin(), totals_.end(), 0.0);
  for (size_t off = 0; off < sums_.size(); off += k)
    for (size_t j = 0; j < k; ++j) totals_[j] += all[off + j];
}

void Optimizer::step(std::span<float> params, std::span<const float> grads, double lr) {
  TANDEM_ASSERT(params.size() == grads.size(), "optimizer: ", params.size(), " parameters but ", grads.size(),
                " gradients");
  const auto n = static_cast<int64_t>(params.size());
  if (n != planned_n_) plan_slices(n);
  // Named copies, not a structured binding: clang 14 (the fuzz build) cannot capture those.
  const auto range = owned_range(n);
  const int64_t lo = range.first, hi = range.second;
  prepare(hi - lo);
  apply_penalties(params, grads, lr, lo, hi);
  // Everything below sees this rank's range as [0, hi - lo).
  float* p = params.data() + lo;
  const float* g = penalized_ ? penalized_ : grads.data() + lo;
  const int k = segment_sums();
  auto slice = [&](const Slice& s) {
    return UpdateSlice{s.begin - lo,   s.end - lo, lr * s.lr_scale,
                       s.weight_decay, s.adapt,    k > 0 ? totals_.data() + s.segment * k : nullptr};
  };
  auto owned = [&](const Slice& s) { return s.begin >= lo && s.end <= hi; };
  if (k > 0) {
    std::fill(sums_.begin(), sums_.end(), 0.0);
    for (const auto& s : slices_)
      if (owned(s)) partial_sums(p, g, slice(s), sums_.data() + (s.piece * segments_ + s.segment) * k);
    complete_sums();
  }
  for (const auto& s : slices_)
    if (owned(s)) update(p, g, slice(s));
  ++steps_;
}

double sum_squares(const float* x, int64_t begin, int64_t end) {
  double sq = 0;
  for (int64_t i = begin; i < end; ++i) sq += static_cast<double>(x[i]) * x[i];
  return sq;
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
