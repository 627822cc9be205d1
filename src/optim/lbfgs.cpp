#include "tandem/optim/lbfgs.hpp"

#include <algorithm>
#include <cmath>

#include "factories.hpp"
#include "tandem/core/error.hpp"

namespace tandem::optim {
namespace {

// Double-accumulated dot product; plain loops keep the result identical on every rank,
// whatever BLAS threading each uses.
double dot(const float* a, const float* b, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

double max_abs(std::span<const float> v) {
  double m = 0;
  for (float x : v) m = std::max(m, static_cast<double>(std::abs(x)));
  return m;
}

// Minimizer of the cubic matching f and f' at a and b, kept inside the interval away from its
// ends; bisection when the cubic has no minimum there (Nocedal & Wright, eq. 3.59).
double interpolate(double a, double fa, double ga, double b, double fb, double gb) {
  const double lo = std::min(a, b), hi = std::max(a, b), margin = 0.1 * (hi - lo);
  const double d1 = ga + gb - 3 * (fa - fb) / (a - b);
  const double disc = d1 * d1 - ga * gb;
  if (disc >= 0) {
    const double d2 = std::copysign(std::sqrt(disc), b - a);
    const double t = b - (b - a) * (gb + d2 - d1) / (gb - ga + 2 * d2);
    if (std::isfinite(t) && t >= lo + margin && t <= hi - margin) return t;
  }
  return 0.5 * (lo + hi);
}

// phi(a) = f(x0 + a d) and its slope phi'(a) = g.d: the one-dimensional function the line
// search minimizes. Each call is one evaluation of the objective and leaves x and g at the
// new point.
struct Line {
  std::span<const float> x0, d;
  std::span<float> x, g;
  const Objective& objective;
  int64_t& evaluations;

  double operator()(double step, double& slope) const {
    const auto n = static_cast<int64_t>(x.size());
    for (int64_t i = 0; i < n; ++i) x[i] = x0[i] + static_cast<float>(step) * d[i];
    ++evaluations;
    const double v = objective(x, g);
    slope = dot(g.data(), d.data(), n);
    return v;
  }
};

// A step tried by the line search: its length, phi and phi' there.
struct Trial {
  double a = 0, f = 0, slope = 0;
};

// Strong Wolfe line search (Nocedal & Wright, Algorithms 3.5 and 3.6): grow the step until an
// interval brackets acceptable steps, then zoom into it. lo_ is the best step with sufficient
// decrease so far, hi_ the other end of the bracket.
class WolfeSearch {
 public:
  WolfeSearch(const Line& line, double f0, double dphi0)
      : line_(line), f0_(f0), dphi0_(dphi0), lo_{0, f0, dphi0} {}

  // From step a: true when a step meets both conditions (then a is that step, f its value and
  // the line's x and g its point); false when max_evals ran out first.
  bool run(double& a, double& f, int64_t max_evals) {
    while (line_.evaluations < max_evals)
      if (bracketed_ ? zoom(a, f) : widen(a, f)) return true;
    return false;
  }
  // The step to fall back on when the search runs out (0: none decreased f enough).
  double best_step() const { return lo_.a; }

 private:
  static constexpr double kC1 = 1e-4, kC2 = 0.9;

  bool wolfe(double v, double step, double slope) const {
    return v <= f0_ + kC1 * step * dphi0_ && std::abs(slope) <= -kC2 * dphi0_;
  }

  // Bracketing: tries a, then either accepts it, closes the bracket, or doubles a.
  bool widen(double& a, double& f) {
    double slope = 0;
    const double v = line_(a, slope);
    if (!std::isfinite(v) || v > f0_ + kC1 * a * dphi0_ || (line_.evaluations > 1 && v >= lo_.f)) {
      hi_ = {a, v, slope};
      bracketed_ = true;
    } else if (std::abs(slope) <= -kC2 * dphi0_) {
      f = v;
      return true;
    } else if (slope >= 0) {
      hi_ = lo_;
      lo_ = {a, v, slope};
      bracketed_ = true;
    } else {
      lo_ = {a, v, slope};
      a *= 2;
    }
    return false;
  }

  // Zoom: tries the interpolated step inside the bracket and shrinks the bracket around it.
  bool zoom(double& a, double& f) {
    a = std::isfinite(hi_.f) ? interpolate(lo_.a, lo_.f, lo_.slope, hi_.a, hi_.f, hi_.slope)
                             : 0.5 * (lo_.a + hi_.a);
    double slope = 0;
    const double v = line_(a, slope);
    if (!std::isfinite(v) || v > f0_ + kC1 * a * dphi0_ || v >= lo_.f) {
      hi_ = {a, v, slope};
      return false;
    }
    if (wolfe(v, a, slope)) {
      f = v;
      return true;
    }
    if (slope * (hi_.a - lo_.a) >= 0) hi_ = lo_;
    lo_ = {a, v, slope};
    return false;
  }

  const Line& line_;
  const double f0_, dphi0_;
  Trial lo_, hi_;
  bool bracketed_ = false;
};

}  // namespace

Lbfgs::Lbfgs(const OptimizerConfig& c) : Optimizer(c) {}  // validate(c) checks the ranges

void Lbfgs::update(float*, const float*, const UpdateSlice&) {
  throw Error(
      "lbfgs takes no stochastic steps: the trainer runs it through Lbfgs::iterate on the full batch");
}

void Lbfgs::prepare(int64_t n) {
  if (n_ == n) return;
  n_ = n;
  const auto m = static_cast<size_t>(config_.history);
  s_.assign(m * n, 0.0f);
  y_.assign(m * n, 0.0f);
  pairs_.assign(2, 0.0f);
  d_.assign(n, 0.0f);
  x0_.assign(n, 0.0f);
  g0_.assign(n, 0.0f);
  alpha_.assign(m, 0.0);
}

void Lbfgs::direction(std::span<const float> g) {
  const auto count = static_cast<int64_t>(pairs_[0]), newest = static_cast<int64_t>(pairs_[1]);
  const int64_t m = config_.history;
  std::vector<float>& q = d_;
  for (int64_t i = 0; i < n_; ++i) q[i] = -g[i];
  for (int64_t k = 0; k < count; ++k) {  // newest to oldest
    const int64_t j = (newest - k + m) % m;
    const float *s = s_.data() + j * n_, *y = y_.data() + j * n_;
    alpha_[j] = dot(s, q.data(), n_) / dot(y, s, n_);
    for (int64_t i = 0; i < n_; ++i) q[i] -= static_cast<float>(alpha_[j]) * y[i];
  }
  if (count > 0) {  // H0 = (s.y / y.y) I from the newest pair
    const float *s = s_.data() + newest * n_, *y = y_.data() + newest * n_;
    const auto gamma = static_cast<float>(dot(s, y, n_) / dot(y, y, n_));
    for (int64_t i = 0; i < n_; ++i) q[i] *= gamma;
  }
  for (int64_t k = count - 1; k >= 0; --k) {  // oldest to newest
    const int64_t j = (newest - k + m) % m;
    const float *s = s_.data() + j * n_, *y = y_.data() + j * n_;
    const double beta = dot(y, q.data(), n_) / dot(y, s, n_);
    for (int64_t i = 0; i < n_; ++i) q[i] += static_cast<float>(alpha_[j] - beta) * s[i];
  }
}

void Lbfgs::remember(std::span<const float> x, std::span<const float> g) {
  const int64_t m = config_.history;
  const auto count = static_cast<int64_t>(pairs_[0]);
  const int64_t slot = count == 0 ? 0 : (static_cast<int64_t>(pairs_[1]) + 1) % m;
  float *s = s_.data() + slot * n_, *y = y_.data() + slot * n_;
  for (int64_t i = 0; i < n_; ++i) {
    s[i] = x[i] - x0_[i];
    y[i] = g[i] - g0_[i];
  }
  // Only pairs of positive curvature keep the inverse-Hessian estimate positive definite.
  const double sy = dot(s, y, n_), yy = dot(y, y, n_);
  if (!(sy > 1e-10 * yy) || yy == 0) return;
  pairs_[0] = static_cast<float>(std::min(count + 1, m));
  pairs_[1] = static_cast<float>(slot);
}

LbfgsIteration Lbfgs::iterate(std::span<float> x, double& f, std::span<float> g, const Objective& objective) {
  prepare(static_cast<int64_t>(x.size()));
  LbfgsIteration it;
  it.loss = f;
  it.grad_max = max_abs(g);
  if (it.grad_max <= config_.tolerance) {
    it.converged = true;
    return it;
  }
  direction(g);
  double dphi0 = dot(g.data(), d_.data(), n_);
  if (!(dphi0 < 0)) {  // not a descent direction: restart from steepest descent
    forget();
    direction(g);
    dphi0 = dot(g.data(), d_.data(), n_);
  }
  std::copy(x.begin(), x.end(), x0_.begin());
  std::copy(g.begin(), g.end(), g0_.begin());
  // First iteration: a step of length ~1 along -g; afterwards the quasi-Newton step a = 1.
  double a = pairs_[0] == 0 ? std::min(1.0, 1.0 / std::sqrt(dot(g.data(), g.data(), n_))) : 1.0;
  const Line line{x0_, d_, x, g, objective, it.evaluations};
  WolfeSearch search(line, f, dphi0);
  if (!search.run(a, f, config_.max_evals)) {
    // Out of evaluations: take the best point with sufficient decrease, if there is one.
    a = search.best_step();
    if (a == 0) {
      std::copy(x0_.begin(), x0_.end(), x.begin());
      std::copy(g0_.begin(), g0_.end(), g.begin());
      forget();
      it.failed = true;
      it.grad_max = max_abs(g);
      return it;
    }
    double slope = 0;
    f = line(a, slope);
  }
  remember(x, g);
  ++steps_;
  it.loss = f;
  it.step = a;
  it.grad_max = max_abs(g);
  it.converged = it.grad_max <= config_.tolerance;
  return it;
}

std::unique_ptr<Optimizer> make_lbfgs(const OptimizerConfig& c) {
  return std::make_unique<Lbfgs>(c);
}

}  // namespace tandem::optim
