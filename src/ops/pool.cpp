#include "tandem/ops/pool.hpp"

#include <algorithm>

#include "tandem/core/error.hpp"
#include "tandem/core/multiversion.hpp"
#include "tandem/tensor/kernels.hpp"

namespace tandem::ops {

Pool2d::Pool2d(Kind kind, int64_t kernel, int64_t stride) : kind_(kind), k_(kernel), s_(stride) {
  TANDEM_USAGE_CHECK(kernel > 0, "pooling needs a positive window size, got ", kernel);
  TANDEM_USAGE_CHECK(stride > 0, "pooling needs a positive stride, got ", stride);
}

Shape Pool2d::infer(const std::vector<Shape>& in) {
  TANDEM_USAGE_CHECK(in[0].rank() == 3, type(), " takes [channels, height, width] per sample, got ",
                     in[0].str());
  c_ = in[0][0];
  h_ = in[0][1];
  w_ = in[0][2];
  TANDEM_USAGE_CHECK(h_ >= k_ && w_ >= k_, "window ", k_, " is larger than the input ", in[0].str());
  oh_ = (h_ - k_) / s_ + 1;
  ow_ = (w_ - k_) / s_ + 1;
  return Shape{c_, oh_, ow_};
}

// Max pooling remembers where each maximum came from (an offset within its input plane).
int64_t Pool2d::workspace_floats(int64_t batch) const {
  return kind_ == Kind::kMax ? batch * c_ * oh_ * ow_ : 0;
}

namespace {

// One output row of 2x2 max pooling with stride 2 from input rows r0 and r1 (r0 at offset
// `base` of its plane, rows `w` apart): the maximum, and where it came from (the first of
// equal values in the order r0[2x], r0[2x+1], r1[2x], r1[2x+1]). Maximum first, then its
// place: this form vectorizes, a running comparison does not.
TANDEM_MULTIVERSION void max_pool_2x2_row(const float* __restrict r0, const float* __restrict r1, int64_t ow,
                                          int64_t base, int64_t w, float* __restrict y,
                                          float* __restrict where) {
  const float row = static_cast<float>(w), at = static_cast<float>(base);  // exact below 2^24
  for (int64_t ox = 0; ox < ow; ++ox) {
    const float a = r0[2 * ox], b = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1];
    const float best = std::max(std::max(a, b), std::max(c, d));
    const float off = a == best ? 0.0f : b == best ? 1.0f : c == best ? row : row + 1.0f;
    y[ox] = best;
    where[ox] = at + static_cast<float>(2 * ox) + off;
  }
}

}  // namespace

TANDEM_MULTIVERSION void Pool2d::pool(const float* x, int64_t batch, float* y, float* argmax) const {
  const float inv = 1.0f / static_cast<float>(k_ * k_);
  for (int64_t p = 0; p < batch * c_; ++p) {
    const float* xp = x + p * h_ * w_;
    float* yp = y + p * oh_ * ow_;
    float* ap = argmax ? argmax + p * oh_ * ow_ : nullptr;
    if (kind_ == Kind::kMax && k_ == 2 && s_ == 2) {  // the common case: branch-free, vectorized
      for (int64_t oy = 0; oy < oh_; ++oy)
        max_pool_2x2_row(xp + oy * 2 * w_, xp + oy * 2 * w_ + w_, ow_, oy * 2 * w_, w_, yp + oy * ow_,
                         ap + oy * ow_);
      continue;
    }
    for (int64_t oy = 0; oy < oh_; ++oy)
      for (int64_t ox = 0; ox < ow_; ++ox) {
        const int64_t base = oy * s_ * w_ + ox * s_;
        float acc = kind_ == Kind::kMax ? xp[base] : 0.0f;
        int64_t best = base;
        for (int64_t i = 0; i < k_; ++i)
          for (int64_t j = 0; j < k_; ++j) {
            const int64_t off = base + i * w_ + j;
            if (kind_ == Kind::kMax) {
              if (xp[off] > acc) {
                acc = xp[off];
                best = off;
              }
            } else {
              acc += xp[off];
            }
          }
        yp[oy * ow_ + ox] = kind_ == Kind::kMax ? acc : acc * inv;
        if (ap) ap[oy * ow_ + ox] = static_cast<float>(best);
      }
  }
}

void Pool2d::forward(graph::OpArgs& a) {
  pool(a.in[0].data(), a.batch, a.out.data(), kind_ == Kind::kMax ? a.workspace.data() : nullptr);
}

void Pool2d::backward(graph::OpArgs& a) {
  if (a.in_grad[0].empty()) return;
  float* dx = a.in_grad[0].data();
  if (!a.accumulate[0]) kernels::fill(dx, a.batch * c_ * h_ * w_, 0.0f);
  const float* dy = a.out_grad.data();
  const float inv = 1.0f / static_cast<float>(k_ * k_);
  for (int64_t p = 0; p < a.batch * c_; ++p) {
    float* dxp = dx + p * h_ * w_;
    const float* dyp = dy + p * oh_ * ow_;
    if (kind_ == Kind::kMax) {
      const float* ap = a.workspace.data() + p * oh_ * ow_;
      for (int64_t o = 0; o < oh_ * ow_; ++o) dxp[static_cast<int64_t>(ap[o])] += dyp[o];
      continue;
    }
    for (int64_t oy = 0; oy < oh_; ++oy)
      for (int64_t ox = 0; ox < ow_; ++ox) {
        const float g = dyp[oy * ow_ + ox] * inv;
        const int64_t base = oy * s_ * w_ + ox * s_;
        for (int64_t i = 0; i < k_; ++i)
          for (int64_t j = 0; j < k_; ++j) dxp[base + i * w_ + j] += g;
      }
  }
}

void Pool2d::jvp(graph::OpArgs& a) {
  if (kind_ == Kind::kAverage) {  // linear: the same map applied to the tangent
    pool(a.in_tangent[0].data(), a.batch, a.out_tangent.data(), nullptr);
    return;
  }
  const float* dx = a.in_tangent[0].data();
  float* dy = a.out_tangent.data();
  for (int64_t p = 0; p < a.batch * c_; ++p) {
    const float* ap = a.workspace.data() + p * oh_ * ow_;
    for (int64_t o = 0; o < oh_ * ow_; ++o)
      dy[p * oh_ * ow_ + o] = dx[p * h_ * w_ + static_cast<int64_t>(ap[o])];
  }
}

namespace {
std::unique_ptr<graph::Op> make_pool(SpecArgs& a, Pool2d::Kind kind) {
  const int64_t size = a.arg_int(0, "size", 2);
  return std::make_unique<Pool2d>(kind, size, a.integer("stride", size));
}
}  // namespace

std::unique_ptr<graph::Op> make_maxpool(SpecArgs& a, const OpContext&) {
  return make_pool(a, Pool2d::Kind::kMax);
}
std::unique_ptr<graph::Op> make_avgpool(SpecArgs& a, const OpContext&) {
  return make_pool(a, Pool2d::Kind::kAverage);
}

}  // namespace tandem::ops
