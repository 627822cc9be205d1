#include "tandem/ops/pool.hpp"

#include <algorithm>

#include "tandem/core/error.hpp"
#include "tandem/core/multiversion.hpp"

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

dnn::PoolKernel& Pool2d::kernel() const {
  if (!kernel_)
    kernel_ = std::make_unique<dnn::PoolKernel>(
        dnn::PoolGeometry{c_, h_, w_, k_, s_, kind_ == Kind::kMax, x_blocked_, y_blocked_});
  return *kernel_;
}

// oneDNN's record of the maxima (max pooling), kept from forward to backward.
int64_t Pool2d::workspace_floats(int64_t batch) const {
  return kernel().workspace_floats(batch);
}

// oneDNN's scratch; for jvp, the winning offsets of max pooling.
int64_t Pool2d::scratch_floats(int64_t batch) const {
  return std::max(kernel().scratch_floats(batch), kind_ == Kind::kMax ? batch * c_ * oh_ * ow_ : 0);
}

// jvp's pooling: y from x; for max pooling also the winning input position within its plane.
TANDEM_MULTIVERSION void Pool2d::pool(const float* x, int64_t batch, float* y, float* argmax) const {
  const float inv = 1.0f / static_cast<float>(k_ * k_);
  for (int64_t p = 0; p < batch * c_; ++p)
    for (int64_t oy = 0; oy < oh_; ++oy)
      for (int64_t ox = 0; ox < ow_; ++ox) {
        const int64_t base = oy * s_ * w_ + ox * s_;
        float acc = kind_ == Kind::kMax ? x[offset(x_blocked_, p, base, h_ * w_)] : 0.0f;
        int64_t best = base;
        for (int64_t i = 0; i < k_; ++i)
          for (int64_t j = 0; j < k_; ++j) {
            const int64_t q = base + i * w_ + j, off = offset(x_blocked_, p, q, h_ * w_);
            if (kind_ == Kind::kMax) {
              if (x[off] > acc) {
                acc = x[off];
                best = q;
              }
            } else {
              acc += x[off];
            }
          }
        const int64_t o = oy * ow_ + ox;
        y[offset(y_blocked_, p, o, oh_ * ow_)] = kind_ == Kind::kMax ? acc : acc * inv;
        if (argmax) argmax[p * oh_ * ow_ + o] = static_cast<float>(best);
      }
}

void Pool2d::set_layouts(graph::Layout in, graph::Layout out) {
  x_blocked_ = in == graph::Layout::kBlocked16;
  y_blocked_ = out == graph::Layout::kBlocked16;
  kernel_.reset();  // planned again for these layouts
}

void Pool2d::forward(graph::OpArgs& a) {
  kernel().forward(a.batch, a.in[0].data(), a.out.data(), a.workspace.data(), a.scratch.data());
}

void Pool2d::backward(graph::OpArgs& a) {
  if (a.in_grad[0].empty()) return;
  kernel().backward(a.batch, a.out_grad.data(), a.in_grad[0].data(), a.accumulate[0], a.workspace.data(),
                    a.scratch.data());
}

void Pool2d::jvp(graph::OpArgs& a) {
  if (kind_ == Kind::kAverage) {  // linear: the same map applied to the tangent
    pool(a.in_tangent[0].data(), a.batch, a.out_tangent.data(), nullptr);
    return;
  }
  // The winners again (oneDNN's record of them is opaque), then the tangent's values there.
  const float* dx = a.in_tangent[0].data();
  float* dy = a.out_tangent.data();
  float* argmax = a.scratch.data();
  pool(a.in[0].data(), a.batch, dy, argmax);
  for (int64_t p = 0; p < a.batch * c_; ++p)
    for (int64_t o = 0; o < oh_ * ow_; ++o)
      dy[offset(y_blocked_, p, o, oh_ * ow_)] =
          dx[offset(x_blocked_, p, static_cast<int64_t>(argmax[p * oh_ * ow_ + o]), h_ * w_)];
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
