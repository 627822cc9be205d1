#include "tandem/tensor/conv_kernel.hpp"

#include <algorithm>

#include "conv_plan.hpp"
#include "tandem/core/error.hpp"
#include "tandem/core/log.hpp"

namespace tandem::dnn {

namespace {

std::string implementation_of(const ConvKernel::Plan& p) {
  return std::string(p.fwd_pd.impl_info_str()) + " / " + p.data_pd.impl_info_str() + " / " +
         p.weights_pd.impl_info_str();
}

}  // namespace

ConvKernel::ConvKernel(const ConvGeometry& g) : g_(g) {
  TANDEM_ASSERT(g.channels > 0 && g.height > 0 && g.width > 0 && g.filters > 0 && g.kernel > 0 &&
                    g.stride > 0 && g.pad >= 0 && g.out_height() > 0 && g.out_width() > 0,
                "invalid convolution geometry");
}

ConvKernel::~ConvKernel() = default;

ConvKernel::Plan& ConvKernel::plan(int64_t batch) {
  auto& p = plans_[batch];
  if (p) return *p;
  // Once per batch size: planning, not the steady step. oneDNN's blocked layouts are fastest
  // where it has kernels for them; where it has none (odd channel counts) it would run its
  // reference code, 100-500x slower: plain layouts and its GEMM-based kernels then.
  p = std::make_unique<Plan>(g_, batch, Plan::Tag::any);
  if (p->uses_reference_code()) p = std::make_unique<Plan>(g_, batch, Plan::Tag::nchw);
  if (p->uses_reference_code())
    log::warnf("oneDNN has only its reference code for a convolution of ", g_.channels, "x", g_.height, "x",
               g_.width, " to ", g_.filters, " filters of ", g_.kernel, "x", g_.kernel, " (stride ",
               g_.stride, ", batch ", batch, "): ", implementation_of(*p), "; it will be slow");
  return *p;
}

std::string ConvKernel::implementation(int64_t batch) {
  return implementation_of(plan(batch));
}

int64_t ConvKernel::workspace_floats(int64_t batch) {
  const Plan& p = plan(batch);
  return p.x.staged ? p.x.inner_floats() : 0;
}

// The largest of the three calls' pieces (see each call).
int64_t ConvKernel::scratch_floats(int64_t batch) {
  const Plan& p = plan(batch);
  auto size = [](int64_t floats) { return (floats + 15) / 16 * 16; };
  const int64_t x = size(p.x.inner_floats()), y = size(p.y.inner_floats()), w = size(p.w.inner_floats());
  const int64_t bias = size(g_.filters);
  const int64_t forward = w + y;
  const int64_t apply = w + x + y + bias;
  const int64_t backward = size(p.dy.inner_floats()) + size(floats_of(p.diff_weights.get_desc())) + bias +
                           size(p.w_data.inner_floats()) + size(p.dy_data.inner_floats()) +
                           size(p.dx.inner_floats());
  return std::max({forward, apply, backward}) + p.pad_floats;
}

void ConvKernel::forward(int64_t batch, const float* x, const float* w, const float* b, float* y,
                         float* workspace, float* scratch) {
  Plan& p = plan(batch);
  Carver c(scratch);
  bind(p.x.user, x), bind(p.w.user, w), bind(p.y.user, y), bind(p.bias, b);
  bind(p.x.inner, workspace), bind(p.w.inner, c.take(p.w.inner)), bind(p.y.inner, c.take(p.y.inner));
  bind(p.pad, c.take(p.pad_floats));
  if (p.x_in) p.x_in->run();
  if (p.w_in) p.w_in->run();
  execute(p.fwd_train, p.fwd_args);
  if (p.y_out) p.y_out->run();
}

void ConvKernel::backward(int64_t batch, const float* x, const float* dy, const float* w, float* dw,
                          float* db, float* dx, bool accumulate, const float* workspace, float* scratch) {
  Plan& p = plan(batch);
  Carver c(scratch);
  bind(p.x.user, x), bind(p.x.inner, workspace), bind(p.dy.user, dy), bind(p.dy.inner, c.take(p.dy.inner));
  bind(p.w.user, dw), bind(p.diff_weights, c.take(p.diff_weights));  // w's user side is dw's now
  float* diff_bias = c.take(g_.filters);
  bind(p.diff_bias, diff_bias);
  bind(p.w_data.user, w), bind(p.w_data.inner, c.take(p.w_data.inner));
  bind(p.dy_data.user, dy), bind(p.dy_data.inner, c.take(p.dy_data.inner));
  bind(p.dx.user, dx), bind(p.dx.inner, c.take(p.dx.inner));
  bind(p.pad, c.take(p.pad_floats));
  if (p.dy_in) p.dy_in->run();  // dy staged once, for both passes where they share its layout
  if (dw) {                     // null: a frozen convolution, the input gradient only
    execute(p.weights, p.weights_args);
    p.dw_out_add.run();
    if (g_.bias && db)
      for (int64_t f = 0; f < g_.filters; ++f) db[f] += diff_bias[f];
  }
  if (!dx) return;
  if (p.dy_data_in) p.dy_data_in->run();
  if (p.w_data_in) p.w_data_in->run();
  // Accumulating, the primitive writes the staged copy and a summing reorder adds it to dx.
  const bool staged = p.dx.staged || accumulate;
  execute(p.data, staged ? p.data_staged_args : p.data_args);
  if (staged) (accumulate ? p.dx_out_add : p.dx_out).run();
}

void ConvKernel::apply(int64_t batch, const float* x, const float* w, const float* b, float* y,
                       bool accumulate, float* scratch) {
  Plan& p = plan(batch);
  Carver c(scratch);
  bind(p.x.user, x), bind(p.w.user, w), bind(p.y.user, y);
  bind(p.w.inner, c.take(p.w.inner)), bind(p.x.inner, c.take(p.x.inner)), bind(p.y.inner, c.take(p.y.inner));
  float* zeros = c.take(g_.filters);
  bind(p.pad, c.take(p.pad_floats));
  if (g_.bias && !b) std::fill(zeros, zeros + g_.filters, 0.0f);
  bind(p.bias, b ? b : zeros);
  if (p.x_in) p.x_in->run();
  if (p.w_in) p.w_in->run();
  if (accumulate && !p.y.staged) {
    auto args = p.fwd_args;  // a tangent pass, not the steady training step: a copy may allocate
    args[DNNL_ARG_DST] = p.y.inner;
    execute(p.fwd, args);
  } else {
    execute(p.fwd, p.fwd_args);
  }
  if (accumulate)
    p.y_out_add.run();
  else if (p.y_out)
    p.y_out->run();
}

}  // namespace tandem::dnn
