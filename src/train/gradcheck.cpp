#include "tandem/train/gradcheck.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

#include "tandem/core/error.hpp"
#include "tandem/core/rng.hpp"
#include "tandem/train/data_feed.hpp"

namespace tandem::train {
namespace {

// What the checks of all tensors share: the mean loss at the current parameters, its value at
// the unperturbed ones, the smallest denominator of a relative error, the random directions.
struct CheckContext {
  std::function<double()> loss;
  double base = 0, floor = 0;
  const GradcheckOptions& o;
  Philox& rng;
  std::vector<float> keep, dir;  // the tensor's own values, the direction: reused scratch
};

// Norm of one tensor's gradient, accumulated in double.
double gradient_norm(const float* grad, int64_t size) {
  double sq = 0;
  for (int64_t i = 0; i < size; ++i) sq += static_cast<double>(grad[i]) * grad[i];
  return std::sqrt(sq);
}

// Direction k as a unit vector in dir, and the backpropagated derivative along it. Direction
// 0 is the backprop gradient itself (the largest directional derivative, so the best
// conditioned); the others mix it half and half with a random unit vector, which also tests
// the components a wrong gradient would get wrong. False for a zero direction (a zero gradient
// and no random part: nothing to compare).
bool unit_direction(int64_t k, Philox& rng, const float* grad, int64_t size, double gnorm,
                    std::vector<float>& dir, double& backprop) {
  dir.resize(static_cast<size_t>(size));
  double rnorm = 0;
  for (auto& v : dir) {
    v = k == 0 ? 0.0f : static_cast<float>(rng.normal());
    rnorm += static_cast<double>(v) * v;
  }
  double norm = 0;
  for (int64_t i = 0; i < size; ++i) {
    const double gi = gnorm > 0 ? grad[i] / gnorm : 0.0;
    const double ri = rnorm > 0 ? dir[i] / std::sqrt(rnorm) : 0.0;
    dir[i] = static_cast<float>(gi + ri);
    norm += static_cast<double>(dir[i]) * dir[i];
  }
  if (norm == 0) return false;
  double bp = 0;
  for (int64_t i = 0; i < size; ++i) {
    dir[i] = static_cast<float>(dir[i] / std::sqrt(norm));
    bp += static_cast<double>(grad[i]) * dir[i];
  }
  backprop = bp;
  return true;
}

// Central finite difference of the loss along ctx.dir from the tensor p (restored after).
// A ReLU or max-pool kink inside [-h, h] shows as one-sided slopes that disagree far more
// than curvature explains: shrink the step (up to twice) until they agree, counting kinks.
double finite_difference(CheckContext& ctx, float* p, int64_t& kinks) {
  const auto size = static_cast<int64_t>(ctx.keep.size());
  const std::vector<float>& keep = ctx.keep;
  const std::vector<float>& dir = ctx.dir;
  double fd = 0;
  for (int attempt = 0, last = 2; attempt <= last; ++attempt) {
    const double h = ctx.o.step * std::pow(0.1, attempt);
    const auto hf = static_cast<float>(h);
    for (int64_t i = 0; i < size; ++i) p[i] = keep[i] + hf * dir[i];
    const double up = ctx.loss();
    for (int64_t i = 0; i < size; ++i) p[i] = keep[i] - hf * dir[i];
    const double down = ctx.loss();
    std::copy(keep.begin(), keep.end(), p);
    fd = (up - down) / (2.0 * h);
    const double forward = (up - ctx.base) / h, backward = (ctx.base - down) / h;
    if (std::abs(forward - backward) <= 0.05 * std::max({std::abs(forward), std::abs(backward), ctx.floor}))
      break;
    ++kinks;
  }
  return fd;
}

// All directions of one parameter tensor p [size] with backprop gradient grad [size]; keeps
// the worst relative error.
TensorCheck check_tensor(CheckContext& ctx, const std::string& name, float* p, const float* grad,
                         int64_t size) {
  TensorCheck c;
  c.name = name;
  ctx.keep.assign(p, p + size);
  const double gnorm = gradient_norm(grad, size);
  for (int64_t k = 0; k < ctx.o.directions; ++k) {
    double bp = 0;
    if (!unit_direction(k, ctx.rng, grad, size, gnorm, ctx.dir, bp)) continue;
    const double fd = finite_difference(ctx, p, c.kinks);
    const double rel = std::abs(bp - fd) / std::max({std::abs(bp), std::abs(fd), ctx.floor});
    if (rel >= c.worst_relative) {
      c.worst_relative = rel;
      c.backprop = bp;
      c.finite_difference = fd;
    }
    ++c.checked;
  }
  return c;
}

}  // namespace

std::vector<TensorCheck> gradient_check(model::Model& m, const data::Dataset& d, const GradcheckOptions& o) {
  const int64_t n = std::min(o.samples, d.size());
  TANDEM_USAGE_CHECK(n > 0, "gradcheck needs at least one sample");
  auto& g = m.graph;
  g.plan(n);
  DataFeed feed(m, d, "'" + d.path() + "'");
  feed.load_rows(0, n);
  graph::RunInfo run;
  run.dropout = false;
  const float scale = 1.0f / static_cast<float>(n);
  auto loss = [&] {
    g.forward(n, run);
    return feed.loss(n, 0.0f, false) / static_cast<double>(n);
  };
  // Backprop once.
  g.forward(n, run);
  feed.loss(n, scale, true);
  g.zero_grads();
  g.backward(n, run);
  const std::vector<float> grads(g.grads().begin(), g.grads().end());
  // Finite differences along random unit directions within each tensor: the directional
  // derivative sums many coordinates, so float32 rounding in the loss matters far less than
  // for single coordinates, and the tiny per-coordinate moves rarely cross a ReLU kink.
  std::vector<TensorCheck> out;
  Philox rng(o.seed, RngPurpose::kInit, 0x6c6b);
  const auto& refs = g.param_refs();
  // A tensor whose true gradient is ~0 (a bias before batch norm) gives noise on both sides;
  // relative errors are taken against at least a thousandth of the largest tensor gradient.
  double largest = 0;
  for (const auto& ref : refs)
    largest = std::max(largest, gradient_norm(grads.data() + ref.offset, ref.spec.shape.numel()));
  CheckContext ctx{loss, 0, std::max(o.floor, 1e-3 * largest), o, rng, {}, {}};
  ctx.base = loss();
  for (const auto& ref : refs) {
    float* p = g.params().data() + ref.offset;
    out.push_back(check_tensor(ctx, ref.name, p, grads.data() + ref.offset, ref.spec.shape.numel()));
  }
  return out;
}

}  // namespace tandem::train
