#include "gradcheck.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "tandem/core/rng.hpp"

namespace tandem::testing {
namespace {

void fill(Tensor t, InputKind kind, Philox& rng) {
  const int64_t n = t.numel();
  if (kind == InputKind::kDistinct) {
    std::vector<int64_t> perm(n);
    std::iota(perm.begin(), perm.end(), 0);
    for (int64_t i = n - 1; i > 0; --i) std::swap(perm[i], perm[rng.below(i + 1)]);
    for (int64_t i = 0; i < n; ++i)
      t[i] = static_cast<float>(-1.0 + 2.0 * perm[i] / std::max<int64_t>(n - 1, 1));
    return;
  }
  for (int64_t i = 0; i < n; ++i) {
    double v = rng.normal();
    if (kind == InputKind::kAwayFromZero) v = (v < 0 ? -1 : 1) * (0.1 + std::abs(v));
    t[i] = static_cast<float>(v);
  }
}

double dot(const float* a, const float* b, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

}  // namespace

std::unique_ptr<graph::Graph> single_op_graph(std::unique_ptr<graph::Op> op,
                                              const std::vector<Shape>& inputs) {
  auto g = std::make_unique<graph::Graph>();
  std::vector<int> ids;
  for (size_t i = 0; i < inputs.size(); ++i) ids.push_back(g->add_input("x" + std::to_string(i), inputs[i]));
  g->add_node("op", std::move(op), ids);
  g->finalize();
  return g;
}

CheckResult check_graph(graph::Graph& g, const CheckOptions& opt) {
  Philox rng(opt.seed, RngPurpose::kInit, 99);
  g.set_input_grads(true);
  g.plan(opt.batch);
  const int64_t b = opt.batch;
  // Parameters: normal, scaled down so activations stay moderate; batch-norm gammas near 1.
  for (size_t i = 0; i < g.param_refs().size(); ++i) {
    Tensor p = g.param(static_cast<int>(i));
    for (int64_t j = 0; j < p.numel(); ++j) p[j] = static_cast<float>(0.5 * rng.normal());
    if (g.param_refs()[i].name.find("gamma") != std::string::npos)
      for (int64_t j = 0; j < p.numel(); ++j) p[j] += 1.0f;
  }
  for (int in : g.inputs()) fill(g.value(in, b), opt.inputs, rng);
  const int out = g.outputs()[0];
  graph::RunInfo run;
  run.training = opt.training;
  run.seed = 5;
  std::vector<float> u(g.value(out, b).numel());
  for (auto& x : u) x = static_cast<float>(rng.normal());
  auto loss = [&] {
    g.forward(b, run);
    return dot(u.data(), g.value(out, b).data(), static_cast<int64_t>(u.size()));
  };

  // Reverse mode.
  loss();
  std::copy(u.begin(), u.end(), g.value_grad(out, b).data());
  g.zero_grads();
  g.backward(b, run);
  std::vector<std::vector<float>> in_grads;
  for (int in : g.inputs()) {
    const Tensor t = g.value_grad(in, b);
    in_grads.emplace_back(t.data(), t.data() + t.numel());
  }
  const std::vector<float> p_grads(g.grads().begin(), g.grads().end());

  CheckResult r;
  r.worst_fd_error = -1e300;
  auto check = [&](float* x, int64_t n, const float* bp, const std::string& what) {
    for (int c = 0; c < std::min<int64_t>(opt.coords, n); ++c) {
      const int64_t i = n <= opt.coords ? c : static_cast<int64_t>(rng.below(n));
      const float saved = x[i];
      x[i] = saved + static_cast<float>(opt.step);
      const double up = loss();
      x[i] = saved - static_cast<float>(opt.step);
      const double down = loss();
      x[i] = saved;
      const double fd = (up - down) / (2 * opt.step);
      const double err = std::abs(fd - bp[i]) -
                         (opt.rel_tol * std::max(std::abs(fd), std::abs(double{bp[i]})) + opt.abs_tol);
      ++r.checked;
      if (err > r.worst_fd_error) {
        r.worst_fd_error = err;
        r.worst_where = what + "[" + std::to_string(i) + "]: fd " + std::to_string(fd) + " vs backprop " +
                        std::to_string(bp[i]);
      }
    }
  };
  for (size_t k = 0; k < g.inputs().size(); ++k) {
    Tensor t = g.value(g.inputs()[k], b);
    check(t.data(), t.numel(), in_grads[k].data(), "input " + std::to_string(k));
  }
  for (size_t i = 0; i < g.param_refs().size(); ++i) {
    const auto& ref = g.param_refs()[i];
    check(g.params().data() + ref.offset, ref.spec.shape.numel(), p_grads.data() + ref.offset, ref.name);
  }

  // Forward mode at the unperturbed point: <u, J v> against <J^T u, v>.
  loss();
  std::vector<float> v_params(g.param_count());
  for (auto& x : v_params) x = static_cast<float>(rng.normal());
  r.vjp_dot = dot(p_grads.data(), v_params.data(), g.param_count());
  for (size_t k = 0; k < g.inputs().size(); ++k) {
    Tensor t = g.tangent(g.inputs()[k], b);
    for (int64_t i = 0; i < t.numel(); ++i) t[i] = static_cast<float>(rng.normal());
    r.vjp_dot += dot(in_grads[k].data(), t.data(), t.numel());
  }
  g.jvp(b, run, v_params);
  r.jvp_dot = dot(u.data(), g.tangent(out, b).data(), static_cast<int64_t>(u.size()));
  return r;
}

}  // namespace tandem::testing
