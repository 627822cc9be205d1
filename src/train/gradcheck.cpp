#include "tandem/train/gradcheck.hpp"

#include <algorithm>
#include <cmath>

#include "tandem/core/error.hpp"
#include "tandem/core/rng.hpp"
#include "tandem/train/data_feed.hpp"

namespace tandem::train {

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
  std::vector<float> keep, dir;
  // A tensor whose true gradient is ~0 (a bias before batch norm) gives noise on both sides;
  // relative errors are taken against at least a thousandth of the largest tensor gradient.
  double largest = 0;
  for (const auto& ref : refs) {
    double sq = 0;
    for (int64_t i = 0; i < ref.spec.shape.numel(); ++i)
      sq += static_cast<double>(grads[ref.offset + i]) * grads[ref.offset + i];
    largest = std::max(largest, std::sqrt(sq));
  }
  const double floor = std::max(o.floor, 1e-3 * largest);
  const double base = loss();
  for (const auto& ref : refs) {
    TensorCheck c;
    c.name = ref.name;
    const int64_t size = ref.spec.shape.numel();
    float* p = g.params().data() + ref.offset;
    keep.assign(p, p + size);
    double gnorm = 0;
    for (int64_t i = 0; i < size; ++i)
      gnorm += static_cast<double>(grads[ref.offset + i]) * grads[ref.offset + i];
    gnorm = std::sqrt(gnorm);
    for (int64_t k = 0; k < o.directions; ++k) {
      // Direction 0 is the backprop gradient itself (the largest directional derivative, so
      // the best conditioned); the others mix it half and half with a random unit vector,
      // which also tests the components a wrong gradient would get wrong.
      dir.resize(static_cast<size_t>(size));
      double rnorm = 0;
      for (auto& v : dir) {
        v = k == 0 ? 0.0f : static_cast<float>(rng.normal());
        rnorm += static_cast<double>(v) * v;
      }
      double norm = 0;
      for (int64_t i = 0; i < size; ++i) {
        const double gi = gnorm > 0 ? grads[ref.offset + i] / gnorm : 0.0;
        const double ri = rnorm > 0 ? dir[i] / std::sqrt(rnorm) : 0.0;
        dir[i] = static_cast<float>(gi + ri);
        norm += static_cast<double>(dir[i]) * dir[i];
      }
      if (norm == 0) continue;  // a zero gradient and no random part: nothing to compare
      double bp = 0;
      for (int64_t i = 0; i < size; ++i) {
        dir[i] = static_cast<float>(dir[i] / std::sqrt(norm));
        bp += static_cast<double>(grads[ref.offset + i]) * dir[i];
      }
      // A ReLU or max-pool kink inside [-h, h] shows as one-sided slopes that disagree far
      // more than curvature explains: shrink the step (up to twice) until they agree.
      double fd = 0;
      for (int attempt = 0, last = 2; attempt <= last; ++attempt) {
        const double h = o.step * std::pow(0.1, attempt);
        const auto hf = static_cast<float>(h);
        for (int64_t i = 0; i < size; ++i) p[i] = keep[i] + hf * dir[i];
        const double up = loss();
        for (int64_t i = 0; i < size; ++i) p[i] = keep[i] - hf * dir[i];
        const double down = loss();
        std::copy(keep.begin(), keep.end(), p);
        fd = (up - down) / (2.0 * h);
        const double forward = (up - base) / h, backward = (base - down) / h;
        if (std::abs(forward - backward) <= 0.05 * std::max({std::abs(forward), std::abs(backward), floor}))
          break;
        ++c.kinks;
      }
      const double rel = std::abs(bp - fd) / std::max({std::abs(bp), std::abs(fd), floor});
      if (rel >= c.worst_relative) {
        c.worst_relative = rel;
        c.backprop = bp;
        c.finite_difference = fd;
      }
      ++c.checked;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace tandem::train
