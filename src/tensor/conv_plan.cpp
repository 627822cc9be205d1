#include "conv_plan.hpp"

#include <algorithm>
#include <string>

namespace tandem::dnn {

using dnnl::memory;
using Tag = memory::format_tag;
using dnnl::algorithm::convolution_direct;

namespace {

constexpr auto kF32 = memory::data_type::f32;

// What the matrix work reads: fp32, or bf16 copies (results and gradients stay fp32).
memory::data_type compute_type(const ConvGeometry& g) {
  return g.precision == Precision::kBf16 ? memory::data_type::bf16 : kF32;
}

bool is_reference(const char* impl) {
  return std::string(impl).rfind("ref", 0) == 0;
}

// The caller's layouts (graph::Layout).
Tag user_x(const ConvGeometry& g) {
  return g.x_blocked ? Tag::nChw16c : Tag::nchw;
}
Tag user_y(const ConvGeometry& g) {
  return g.y_blocked ? Tag::nChw16c : Tag::nchw;
}

memory::desc input_desc(const ConvGeometry& g, int64_t n, memory::data_type t, Tag tag) {
  return {{n, g.channels, g.height, g.width}, t, tag};
}
memory::desc output_desc(const ConvGeometry& g, int64_t n, memory::data_type t, Tag tag) {
  return {{n, g.filters, g.out_height(), g.out_width()}, t, tag};
}
memory::desc weights_desc(const ConvGeometry& g, memory::data_type t, Tag tag) {
  return {{g.filters, g.channels, g.kernel, g.kernel}, t, tag};
}
memory::desc bias_desc(const ConvGeometry& g) {
  return {{g.filters}, kF32, Tag::x};
}

dnnl::convolution_forward::primitive_desc forward_desc(const ConvGeometry& g, int64_t n, Tag activations) {
  const memory::dims strides{g.stride, g.stride}, pads{g.pad, g.pad};
  const auto t = compute_type(g);
  const auto x = input_desc(g, n, t, activations), w = weights_desc(g, t, Tag::any);
  const auto y = output_desc(g, n, kF32, activations);
  const auto prop = dnnl::prop_kind::forward_training;
  if (!g.bias) return {{prop, convolution_direct, x, w, y, strides, pads, pads}, user_scratchpad(), engine()};
  return {
      {prop, convolution_direct, x, w, bias_desc(g), y, strides, pads, pads}, user_scratchpad(), engine()};
}

// The forward with a ReLU post-op, in exactly the forward's layouts (so that backward, planned
// against the forward, reads what it wrote).
dnnl::convolution_forward::primitive_desc relu_forward_desc(
    const ConvGeometry& g, const dnnl::convolution_forward::primitive_desc& fwd) {
  const memory::dims strides{g.stride, g.stride}, pads{g.pad, g.pad};
  dnnl::post_ops ops;
  ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
  auto attr = user_scratchpad();
  attr.set_post_ops(ops);
  const auto prop = dnnl::prop_kind::forward_training;
  const auto x = fwd.src_desc(), w = fwd.weights_desc(), y = fwd.dst_desc();
  if (!g.bias) return {{prop, convolution_direct, x, w, y, strides, pads, pads}, attr, engine()};
  return {{prop, convolution_direct, x, w, bias_desc(g), y, strides, pads, pads}, attr, engine()};
}

// x in the forward's layout (it is kept from forward); dy and dw as oneDNN prefers.
dnnl::convolution_backward_weights::primitive_desc weights_desc(
    const ConvGeometry& g, int64_t n, Tag activations, const dnnl::convolution_forward::primitive_desc& fwd) {
  const memory::dims strides{g.stride, g.stride}, pads{g.pad, g.pad};
  const auto dw = weights_desc(g, kF32, Tag::any), dy = output_desc(g, n, compute_type(g), activations);
  if (!g.bias)
    return {
        {convolution_direct, fwd.src_desc(), dw, dy, strides, pads, pads}, user_scratchpad(), engine(), fwd};
  return {{convolution_direct, fwd.src_desc(), dw, bias_desc(g), dy, strides, pads, pads},
          user_scratchpad(),
          engine(),
          fwd};
}

// dy in backward-weights' layout when oneDNN has kernels for it, else in plain layouts.
dnnl::convolution_backward_data::primitive_desc data_desc(
    const ConvGeometry& g, int64_t n, const dnnl::convolution_forward::primitive_desc& fwd,
    const dnnl::convolution_backward_weights::primitive_desc& weights) {
  const memory::dims strides{g.stride, g.stride}, pads{g.pad, g.pad};
  const auto t = compute_type(g);
  dnnl::convolution_backward_data::primitive_desc pd(
      {convolution_direct, input_desc(g, n, kF32, Tag::any), weights_desc(g, t, Tag::any),
       weights.diff_dst_desc(), strides, pads, pads},
      user_scratchpad(), engine(), fwd);
  if (!is_reference(pd.impl_info_str())) return pd;
  return {{convolution_direct, input_desc(g, n, kF32, Tag::nchw), weights_desc(g, t, Tag::any),
           output_desc(g, n, t, Tag::nchw), strides, pads, pads},
          user_scratchpad(),
          engine(),
          fwd};
}

}  // namespace

ConvKernel::Plan::Plan(const ConvGeometry& g, int64_t n, Tag activations)
    : fwd_pd(forward_desc(g, n, activations)),
      fwd_relu_pd(g.relu ? relu_forward_desc(g, fwd_pd) : fwd_pd),
      weights_pd(weights_desc(g, n, activations, fwd_pd)),
      data_pd(data_desc(g, n, fwd_pd, weights_pd)),
      x(input_desc(g, n, kF32, user_x(g)), fwd_pd.src_desc()),
      w(weights_desc(g, kF32, Tag::oihw), fwd_pd.weights_desc()),
      y(output_desc(g, n, kF32, user_y(g)), fwd_pd.dst_desc()),
      dy(output_desc(g, n, kF32, user_y(g)), weights_pd.diff_dst_desc()),
      w_data(weights_desc(g, kF32, Tag::oihw), data_pd.weights_desc()),
      dy_data(output_desc(g, n, kF32, user_y(g)), data_pd.diff_dst_desc()),
      dx(input_desc(g, n, kF32, user_x(g)), data_pd.diff_src_desc()),
      dy_shared(dy.staged && data_pd.diff_dst_desc() == weights_pd.diff_dst_desc()),
      bias(unbound(bias_desc(g))),
      diff_weights(unbound(weights_pd.diff_weights_desc())),
      diff_bias(unbound(bias_desc(g))),
      pad(unbound(shared_scratchpad({fwd_pd, fwd_relu_pd, data_pd, weights_pd}))),
      fwd(dnnl::convolution_forward(fwd_pd)),
      data(dnnl::convolution_backward_data(data_pd)),
      weights(dnnl::convolution_backward_weights(weights_pd)),
      fwd_train(g.relu ? dnnl::primitive(dnnl::convolution_forward(fwd_relu_pd)) : fwd),
      dx_out(dx.inner, dx.user, false),
      dx_out_add(dx.inner, dx.user, true),
      y_out_add(y.inner, y.user, true),
      dw_out_add(diff_weights, w.user, true),
      pad_floats(floats_of(pad.get_desc())) {
  fwd_args = {{DNNL_ARG_SRC, x.used()},
              {DNNL_ARG_WEIGHTS, w.used()},
              {DNNL_ARG_DST, y.used()},
              {DNNL_ARG_SCRATCHPAD, pad}};
  if (g.bias) fwd_args[DNNL_ARG_BIAS] = bias;
  data_args = {{DNNL_ARG_DIFF_DST, dy_shared ? dy.inner : dy_data.used()},
               {DNNL_ARG_WEIGHTS, w_data.used()},
               {DNNL_ARG_DIFF_SRC, dx.used()},
               {DNNL_ARG_SCRATCHPAD, pad}};
  data_staged_args = data_args;
  data_staged_args[DNNL_ARG_DIFF_SRC] = dx.inner;
  weights_args = {{DNNL_ARG_SRC, x.used()},
                  {DNNL_ARG_DIFF_DST, dy.used()},
                  {DNNL_ARG_DIFF_WEIGHTS, diff_weights},
                  {DNNL_ARG_SCRATCHPAD, pad}};
  if (g.bias) weights_args[DNNL_ARG_DIFF_BIAS] = diff_bias;
  if (x.staged) x_in.emplace(x.user, x.inner, false);
  if (w.staged) w_in.emplace(w.user, w.inner, false);
  if (y.staged) y_out.emplace(y.inner, y.user, false);
  if (dy.staged) dy_in.emplace(dy.user, dy.inner, false);
  if (w_data.staged) w_data_in.emplace(w_data.user, w_data.inner, false);
  if (dy_data.staged && !dy_shared) dy_data_in.emplace(dy_data.user, dy_data.inner, false);
}

bool ConvKernel::Plan::uses_reference_code() const {
  return is_reference(fwd_pd.impl_info_str()) || is_reference(fwd_relu_pd.impl_info_str()) ||
         is_reference(data_pd.impl_info_str()) || is_reference(weights_pd.impl_info_str());
}

}  // namespace tandem::dnn
