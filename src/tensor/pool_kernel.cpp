#include "tandem/tensor/pool_kernel.hpp"

#include <algorithm>
#include <optional>

#include "dnn_context.hpp"
#include "tandem/core/error.hpp"
#include "tandem/tensor/kernels.hpp"

namespace tandem::dnn {

using dnnl::memory;
using Tag = memory::format_tag;

namespace {

constexpr auto kF32 = memory::data_type::f32;

}  // namespace

// The primitives work in the caller's input layout (plain NCHW, or nChw16c: oneDNN's pooling
// takes either directly); the output, when the caller wants it plain from a blocked input,
// goes through a reorder (and its gradient back).
struct PoolKernel::Plan {
  dnnl::pooling_forward::primitive_desc fwd_pd;
  dnnl::pooling_backward::primitive_desc bwd_pd;
  memory x, dx;
  Layouts y, dy;  // the caller's layout, the primitive's
  memory workspace, pad;
  Args fwd_args, bwd_args;
  dnnl::primitive fwd, bwd;
  std::optional<Reorder> y_out, dy_in;
  int64_t workspace_floats, pad_floats;

  Plan(const PoolGeometry& g, int64_t n)
      : fwd_pd({dnnl::prop_kind::forward_training, algorithm(g), input(g, n, inner(g)),
                output(g, n, inner(g)), strides(g), window(g), kNoPadding, kNoPadding},
               user_scratchpad(), engine()),
        bwd_pd({algorithm(g), input(g, n, inner(g)), output(g, n, inner(g)), strides(g), window(g),
                kNoPadding, kNoPadding},
               user_scratchpad(), engine(), fwd_pd),
        x(unbound(input(g, n, inner(g)))),
        dx(unbound(input(g, n, inner(g)))),
        y(output(g, n, g.y_blocked ? Tag::nChw16c : Tag::nchw), output(g, n, inner(g))),
        dy(output(g, n, g.y_blocked ? Tag::nChw16c : Tag::nchw), output(g, n, inner(g))),
        workspace(unbound(fwd_pd.workspace_desc())),
        pad(unbound(shared_scratchpad({fwd_pd, bwd_pd}))),
        fwd(dnnl::pooling_forward(fwd_pd)),
        bwd(dnnl::pooling_backward(bwd_pd)),
        workspace_floats(g.max ? floats_of(fwd_pd.workspace_desc()) : 0),
        pad_floats(floats_of(pad.get_desc())) {
    fwd_args = {{DNNL_ARG_SRC, x}, {DNNL_ARG_DST, y.used()}, {DNNL_ARG_SCRATCHPAD, pad}};
    bwd_args = {{DNNL_ARG_DIFF_DST, dy.used()}, {DNNL_ARG_DIFF_SRC, dx}, {DNNL_ARG_SCRATCHPAD, pad}};
    if (g.max) fwd_args[DNNL_ARG_WORKSPACE] = workspace, bwd_args[DNNL_ARG_WORKSPACE] = workspace;
    if (y.staged) y_out.emplace(y.inner, y.user, false);
    if (dy.staged) dy_in.emplace(dy.user, dy.inner, false);
  }

  static Tag inner(const PoolGeometry& g) { return g.x_blocked ? Tag::nChw16c : Tag::nchw; }
  static dnnl::algorithm algorithm(const PoolGeometry& g) {
    return g.max ? dnnl::algorithm::pooling_max : dnnl::algorithm::pooling_avg_exclude_padding;
  }
  static memory::desc input(const PoolGeometry& g, int64_t n, Tag tag) {
    return {{n, g.channels, g.height, g.width}, kF32, tag};
  }
  static memory::desc output(const PoolGeometry& g, int64_t n, Tag tag) {
    return {{n, g.channels, g.out_height(), g.out_width()}, kF32, tag};
  }
  static memory::dims strides(const PoolGeometry& g) { return {g.stride, g.stride}; }
  static memory::dims window(const PoolGeometry& g) { return {g.kernel, g.kernel}; }
  inline static const memory::dims kNoPadding{0, 0};
};

PoolKernel::PoolKernel(const PoolGeometry& g) : g_(g) {
  TANDEM_ASSERT(g.channels > 0 && g.kernel > 0 && g.stride > 0 && g.height >= g.kernel && g.width >= g.kernel,
                "invalid pooling geometry");
  TANDEM_ASSERT(!g.y_blocked || g.x_blocked, "pooling: a blocked output needs a blocked input");
  TANDEM_ASSERT(!g.x_blocked || g.channels % 16 == 0, "pooling: blocked layouts need channels in 16s");
}

PoolKernel::~PoolKernel() = default;

PoolKernel::Plan& PoolKernel::plan(int64_t batch) {
  auto& p = plans_[batch];
  if (!p) p = std::make_unique<Plan>(g_, batch);  // once per batch size: planning, not the steady step
  return *p;
}

int64_t PoolKernel::workspace_floats(int64_t batch) {
  return plan(batch).workspace_floats;
}

// oneDNN's scratchpad, dx staged when the gradient is added rather than written, and the
// output (or its gradient) in the primitive's layout when the caller's differs.
int64_t PoolKernel::scratch_floats(int64_t batch) {
  const Plan& p = plan(batch);
  return p.pad_floats + floats_of(p.dx.get_desc()) + (p.y.staged ? floats_of(p.y.inner.get_desc()) : 0);
}

void PoolKernel::forward(int64_t batch, const float* x, float* y, float* workspace, float* scratch) {
  Plan& p = plan(batch);
  bind(p.x, x), bind(p.y.user, y), bind(p.workspace, workspace), bind(p.pad, scratch);
  bind(p.y.inner, scratch + p.pad_floats + floats_of(p.dx.get_desc()));
  execute(p.fwd, p.fwd_args);
  if (p.y_out) p.y_out->run();
}

void PoolKernel::backward(int64_t batch, const float* dy, float* dx, bool accumulate, const float* workspace,
                          float* scratch) {
  Plan& p = plan(batch);
  float* staged = scratch + p.pad_floats;
  bind(p.dy.user, dy), bind(p.dy.inner, staged + floats_of(p.dx.get_desc()));
  bind(p.dx, accumulate ? staged : dx), bind(p.workspace, workspace), bind(p.pad, scratch);
  if (p.dy_in) p.dy_in->run();
  execute(p.bwd, p.bwd_args);
  if (accumulate) kernels::add(staged, dx, batch * g_.channels * g_.height * g_.width);
}

}  // namespace tandem::dnn
