#include "tandem/train/hessian.hpp"

#include <algorithm>
#include <cmath>

#include "tandem/core/error.hpp"
#include "tandem/core/rng.hpp"
#include "tandem/tensor/blas.hpp"
#include "tandem/train/evaluate.hpp"

namespace tandem::train {
namespace {

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

void normalize(std::vector<double>& v) {
  const double n = std::sqrt(dot(v, v));
  for (auto& x : v) x /= n;
}

// The mean loss over the rows and its gradient, reduced over ranks (see full_pass).
class LossGradient {
 public:
  LossGradient(model::Model& m, const data::Dataset& d, int64_t rows, int64_t chunk, dist::Comm& comm)
      : m_(m), rows_(rows), chunk_(chunk), comm_(comm), feed_(plan(m, chunk), d, "'" + d.path() + "'") {}

  // Gradient at the current parameters into grad (double); returns the loss.
  double operator()(std::vector<double>& grad) {
    const auto sums = full_pass(m_, feed_, rows_, chunk_, comm_, true);
    auto grads = m_.graph.grads();
    grad.assign(grads.begin(), grads.end());
    return sums.loss / static_cast<double>(rows_);
  }

 private:
  static model::Model& plan(model::Model& m, int64_t chunk) {
    m.graph.plan(chunk);
    return m;
  }

  model::Model& m_;
  int64_t rows_, chunk_;
  dist::Comm& comm_;
  DataFeed feed_;
};

// Hv by central differences of the gradient along the unit vector v.
class HessianProduct {
 public:
  HessianProduct(model::Model& m, LossGradient& grad, double step) : m_(m), grad_(grad) {
    auto p = m.graph.params();
    w0_.assign(p.begin(), p.end());
    double sq = 0;
    for (float x : w0_) sq += static_cast<double>(x) * x;
    // Relative to the typical parameter size, so that float rounding stays small against e.
    e_ = step * std::max(1.0, std::sqrt(sq / static_cast<double>(w0_.size())));
  }
  double step() const { return e_; }
  int64_t count() const { return count_; }

  void operator()(const std::vector<double>& v, std::vector<double>& hv) {
    ++count_;
    auto p = m_.graph.params();
    for (size_t i = 0; i < v.size(); ++i) p[i] = static_cast<float>(w0_[i] + e_ * v[i]);
    grad_(plus_);
    for (size_t i = 0; i < v.size(); ++i) p[i] = static_cast<float>(w0_[i] - e_ * v[i]);
    grad_(minus_);
    std::copy(w0_.begin(), w0_.end(), p.begin());
    hv.resize(v.size());
    for (size_t i = 0; i < v.size(); ++i) hv[i] = (plus_[i] - minus_[i]) / (2 * e_);
  }

 private:
  model::Model& m_;
  LossGradient& grad_;
  std::vector<float> w0_;
  std::vector<double> plus_, minus_;
  double e_ = 0;
  int64_t count_ = 0;
};

std::vector<double> random_unit(int64_t n, uint64_t seed, uint32_t stream) {
  Philox rng(seed, RngPurpose::kInit, 0x4e55, stream);
  std::vector<double> v(static_cast<size_t>(n));
  for (auto& x : v) x = rng.normal();
  normalize(v);
  return v;
}

// Lanczos with full reorthogonalization: the Ritz values of the k x k tridiagonal matrix.
void lanczos(HessianProduct& hvp, int64_t n, const HessianOptions& o, HessianResult& r) {
  const int64_t k = std::min(o.iterations, n);
  std::vector<std::vector<double>> q{random_unit(n, o.seed, 0)};
  std::vector<double> alpha, beta, w;
  for (int64_t j = 0; j < k; ++j) {
    hvp(q[j], w);
    alpha.push_back(dot(w, q[j]));
    // Twice against every previous vector: in floating point one pass leaves ghosts.
    for (int pass = 0; pass < 2; ++pass)
      for (const auto& qi : q) {
        const double c = dot(w, qi);
        for (int64_t i = 0; i < n; ++i) w[i] -= c * qi[i];
      }
    const double b = std::sqrt(dot(w, w));
    beta.push_back(b);
    if (j + 1 == k || b < 1e-12 * std::max(1.0, std::abs(alpha.back()))) break;  // invariant subspace
    for (auto& x : w) x /= b;
    q.push_back(w);
  }
  const auto m = static_cast<int64_t>(alpha.size());
  std::vector<double> t(static_cast<size_t>(m * m), 0.0), theta(static_cast<size_t>(m));
  for (int64_t i = 0; i < m; ++i) {
    t[i * m + i] = alpha[i];
    if (i + 1 < m) t[i * m + i + 1] = t[(i + 1) * m + i] = beta[i];
  }
  blas::symmetric_eigen(m, t.data(), theta.data());  // ascending; row i: eigenvector i
  for (int64_t i = m - 1; i >= 0 && static_cast<int64_t>(r.eigenvalues.size()) < o.top; --i) {
    r.eigenvalues.push_back(theta[i]);
    r.residuals.push_back(std::abs(beta[m - 1] * t[i * m + m - 1]));  // |beta_m e_m^T y_i|
  }
}

// Power iteration on H, deflated by the eigenvectors already found. It finds the eigenvalues
// largest in magnitude: for a Hessian with large negative curvature these are not the top ones.
void power(HessianProduct& hvp, int64_t n, const HessianOptions& o, HessianResult& r) {
  std::vector<std::vector<double>> found;
  std::vector<double> hv;
  for (int64_t e = 0; e < std::min(o.top, n); ++e) {
    auto v = random_unit(n, o.seed, static_cast<uint32_t>(e));
    double lambda = 0, residual = 0;
    for (int64_t it = 0; it < o.iterations; ++it) {
      for (const auto& u : found) {
        const double c = dot(v, u);
        for (int64_t i = 0; i < n; ++i) v[i] -= c * u[i];
      }
      normalize(v);
      hvp(v, hv);
      for (size_t f = 0; f < found.size(); ++f) {  // H - sum lambda_f u_f u_f^T
        const double c = r.eigenvalues[f] * dot(found[f], v);
        for (int64_t i = 0; i < n; ++i) hv[i] -= c * found[f][i];
      }
      lambda = dot(v, hv);
      residual = 0;
      for (int64_t i = 0; i < n; ++i) residual += (hv[i] - lambda * v[i]) * (hv[i] - lambda * v[i]);
      residual = std::sqrt(residual);
      v = hv;
      normalize(v);
    }
    found.push_back(v);
    r.eigenvalues.push_back(lambda);
    r.residuals.push_back(residual);
  }
}

}  // namespace

HessianResult hessian_eigenvalues(model::Model& m, const data::Dataset& d, const HessianOptions& o,
                                  dist::Comm& comm) {
  TANDEM_USAGE_CHECK(o.top >= 1 && o.iterations >= 1 && o.fd_step > 0 && o.chunk >= 1,
                     "--top, --iterations, --fd-step and --batch must be positive");
  const int64_t rows = o.samples > 0 ? std::min(o.samples, d.size()) : d.size();
  TANDEM_USAGE_CHECK(rows > 0, "no samples to compute the Hessian on");
  LossGradient grad(m, d, rows, std::min(o.chunk, rows), comm);
  HessianResult r;
  std::vector<double> g;
  r.loss = grad(g);
  HessianProduct hvp(m, grad, o.fd_step);
  const int64_t n = m.graph.param_count();
  if (o.method == EigenMethod::kLanczos)
    lanczos(hvp, n, o, r);
  else
    power(hvp, n, o, r);
  r.products = hvp.count();
  char how[160];
  std::snprintf(how, sizeof how, "central differences of gradients, step %.3g (2 gradients per product)",
                hvp.step());
  r.product_method = how;
  return r;
}

}  // namespace tandem::train
