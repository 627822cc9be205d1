#include "tandem/ops/conv.hpp"

#include "tandem/core/error.hpp"

namespace tandem::ops {

Conv2d::Conv2d(int64_t filters, int64_t kernel, int64_t stride, int64_t pad, bool bias,
               graph::InitSpec weight_init, graph::InitSpec bias_init, Precision precision)
    : f_(filters),
      k_(kernel),
      stride_(stride),
      pad_(pad),
      bias_(bias),
      weight_init_(std::move(weight_init)),
      bias_init_(std::move(bias_init)),
      precision_(precision) {
  TANDEM_USAGE_CHECK(filters > 0, "conv2d needs a positive number of filters, got ", filters);
  TANDEM_USAGE_CHECK(kernel > 0, "conv2d needs a positive kernel size, got ", kernel);
  TANDEM_USAGE_CHECK(stride > 0, "conv2d needs a positive stride, got ", stride);
  TANDEM_USAGE_CHECK(pad >= 0, "conv2d needs a non-negative padding, got ", pad);
}

Shape Conv2d::infer(const std::vector<Shape>& in) {
  TANDEM_USAGE_CHECK(in[0].rank() == 3, "conv2d takes [channels, height, width] per sample, got ",
                     in[0].str());
  c_ = in[0][0];
  h_ = in[0][1];
  w_ = in[0][2];
  TANDEM_USAGE_CHECK(h_ + 2 * pad_ >= k_ && w_ + 2 * pad_ >= k_, "kernel ", k_,
                     " is larger than the padded input ", in[0].str());
  oh_ = (h_ + 2 * pad_ - k_) / stride_ + 1;
  ow_ = (w_ + 2 * pad_ - k_) / stride_ + 1;
  return Shape{f_, oh_, ow_};
}

std::vector<graph::ParamSpec> Conv2d::params() const {
  auto w = weight_init_;
  w.fan_in = patch();
  w.fan_out = f_ * k_ * k_;
  std::vector<graph::ParamSpec> p{{"weight", Shape{f_, c_, k_, k_}, w, true}};
  if (bias_) {
    auto b = bias_init_;
    b.fan_in = w.fan_in;
    b.fan_out = w.fan_out;
    p.push_back({"bias", Shape{f_}, b, false});
  }
  return p;
}

dnn::ConvKernel& Conv2d::kernel() const {
  if (!kernel_)
    kernel_ = std::make_unique<dnn::ConvKernel>(dnn::ConvGeometry{c_, h_, w_, f_, k_, stride_, pad_, bias_,
                                                                  precision_, relu_, x_blocked_, y_blocked_});
  return *kernel_;
}

void Conv2d::set_layouts(graph::Layout in, graph::Layout out) {
  x_blocked_ = in == graph::Layout::kBlocked16;
  y_blocked_ = out == graph::Layout::kBlocked16;
  kernel_.reset();  // planned again for these layouts
}

bool Conv2d::fuse_epilogue(graph::Epilogue e) {
  if (e != graph::Epilogue::kRelu || relu_) return false;
  relu_ = true;
  kernel_.reset();  // planned again with the post-op
  return true;
}

// The input in oneDNN's layout, kept from forward for the weight gradient.
int64_t Conv2d::workspace_floats(int64_t batch) const {
  return kernel().workspace_floats(batch);
}

int64_t Conv2d::scratch_floats(int64_t batch) const {
  return kernel().scratch_floats(batch);
}

void Conv2d::forward(graph::OpArgs& a) {
  kernel().forward(a.batch, a.in[0].data(), a.params[0].data(), bias_ ? a.params[1].data() : nullptr,
                   a.out.data(), a.workspace.data(), a.scratch.data());
}

void Conv2d::backward(graph::OpArgs& a) {
  kernel().backward(a.batch, a.in[0].data(), a.out_grad.data(), a.params[0].data(),
                    graph::grad_or_null(a.param_grad[0]),
                    bias_ ? graph::grad_or_null(a.param_grad[1]) : nullptr,
                    a.in_grad[0].empty() ? nullptr : a.in_grad[0].data(), a.accumulate[0], a.workspace.data(),
                    a.scratch.data());
}

// dy = conv(dx, W) + db + conv(x, dW): linear in each of the three tangents.
void Conv2d::jvp(graph::OpArgs& a) {
  const bool db = bias_ && !a.param_tangent[1].empty();
  kernel().apply(a.batch, a.in_tangent[0].data(), a.params[0].data(),
                 db ? a.param_tangent[1].data() : nullptr, a.out_tangent.data(), false, a.scratch.data());
  if (!a.param_tangent[0].empty())
    kernel().apply(a.batch, a.in[0].data(), a.param_tangent[0].data(), nullptr, a.out_tangent.data(), true,
                   a.scratch.data());
}

std::unique_ptr<graph::Op> make_conv2d(SpecArgs& a, const OpContext& context) {
  const int64_t filters = a.arg_int(0, "filters", 0);
  TANDEM_USAGE_CHECK(filters > 0, a.where(), "conv2d needs the number of filters, e.g. 'conv2d 32 kernel=3'");
  return std::make_unique<Conv2d>(filters, a.integer("kernel", 3), a.integer("stride", 1),
                                  a.integer("pad", 0), a.flag("bias", true), a.init("init", "he_normal"),
                                  a.init("bias_init", "zeros"), context.precision);
}

}  // namespace tandem::ops
