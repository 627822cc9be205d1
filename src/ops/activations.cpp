#include "tandem/ops/activations.hpp"

#include <algorithm>
#include <cmath>

#include "tandem/core/error.hpp"
#include "tandem/core/multiversion.hpp"
#include "tandem/tensor/kernels.hpp"

namespace tandem::ops {

using graph::store_grad;

namespace {

// ReLU's loops, outside the (virtual) op methods so that they can be compiled for several
// instruction sets (core/multiversion.hpp): they are a tenth of a training step.
TANDEM_MULTIVERSION void relu(const float* __restrict x, float* __restrict y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = std::max(x[i], 0.0f);
}

TANDEM_MULTIVERSION void relu_backward(const float* __restrict y, const float* __restrict dy,
                                       float* __restrict dx, int64_t n, bool accumulate) {
  if (accumulate)
    for (int64_t i = 0; i < n; ++i) dx[i] += y[i] > 0.0f ? dy[i] : 0.0f;
  else
    for (int64_t i = 0; i < n; ++i) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

}  // namespace

std::string Elementwise::type() const {
  switch (kind_) {
    case Kind::kRelu: return "relu";
    case Kind::kSigmoid: return "sigmoid";
    case Kind::kTanh: return "tanh";
  }
  return "?";
}

float Elementwise::slope(float y) const {
  switch (kind_) {
    case Kind::kRelu: return y > 0.0f ? 1.0f : 0.0f;
    case Kind::kSigmoid: return y * (1.0f - y);
    case Kind::kTanh: return 1.0f - y * y;
  }
  return 0.0f;
}

void Elementwise::forward(graph::OpArgs& a) {
  const float* __restrict x = a.in[0].data();
  float* __restrict y = a.out.data();
  const int64_t n = a.out.numel();
  switch (kind_) {
    case Kind::kRelu: relu(x, y, n); break;
    case Kind::kSigmoid:
      for (int64_t i = 0; i < n; ++i) y[i] = 1.0f / (1.0f + std::exp(-x[i]));
      break;
    case Kind::kTanh:
      for (int64_t i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
      break;
  }
}

void Elementwise::backward(graph::OpArgs& a) {
  if (a.in_grad[0].empty()) return;
  const float* __restrict y = a.out.data();
  const float* __restrict dy = a.out_grad.data();
  float* __restrict dx = a.in_grad[0].data();
  const int64_t n = a.out.numel();
  const bool acc = a.accumulate[0];
  if (kind_ == Kind::kRelu) return relu_backward(y, dy, dx, n, acc);  // the hot case
  for (int64_t i = 0; i < n; ++i) store_grad(dx[i], dy[i] * slope(y[i]), acc);
}

void Elementwise::jvp(graph::OpArgs& a) {
  const float* y = a.out.data();
  const float* dx = a.in_tangent[0].data();
  float* dy = a.out_tangent.data();
  for (int64_t i = 0; i < a.out.numel(); ++i) dy[i] = slope(y[i]) * dx[i];
}

ScalarActivation::ScalarActivation(Kind kind, double constant)
    : kind_(kind), c_(static_cast<float>(constant)) {
  TANDEM_USAGE_CHECK(std::isfinite(constant), type(), " needs a finite constant, got ", constant);
  TANDEM_USAGE_CHECK(kind != Kind::kElu || constant > 0, "elu alpha must be positive, got ", constant);
}

std::string ScalarActivation::type() const {
  switch (kind_) {
    case Kind::kLeakyRelu: return "leaky_relu";
    case Kind::kElu: return "elu";
    case Kind::kGelu: return "gelu";
    case Kind::kSoftplus: return "softplus";
    case Kind::kScaledTanh: return "scaled_tanh";
    case Kind::kTanhLinear: return "tanh_linear";
  }
  return "?";
}

namespace {
constexpr float kScaledTanhA = 1.7159f, kScaledTanhB = 2.0f / 3.0f;
inline float normal_cdf(float x) {
  return 0.5f * std::erfc(-x * static_cast<float>(M_SQRT1_2));
}
inline float normal_pdf(float x) {
  return std::exp(-0.5f * x * x) * static_cast<float>(0.5 * M_2_SQRTPI * M_SQRT1_2);
}
}  // namespace

float ScalarActivation::value(float x) const {
  switch (kind_) {
    case Kind::kLeakyRelu: return x > 0 ? x : c_ * x;
    case Kind::kElu: return x > 0 ? x : c_ * std::expm1(x);
    case Kind::kGelu: return x * normal_cdf(x);
    case Kind::kSoftplus: return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
    case Kind::kScaledTanh: return kScaledTanhA * std::tanh(kScaledTanhB * x);
    case Kind::kTanhLinear: return std::tanh(x) + c_ * x;
  }
  return 0;
}

float ScalarActivation::derivative(float x) const {
  switch (kind_) {
    case Kind::kLeakyRelu: return x > 0 ? 1.0f : c_;
    case Kind::kElu: return x > 0 ? 1.0f : c_ * std::exp(x);
    case Kind::kGelu: return normal_cdf(x) + x * normal_pdf(x);
    case Kind::kSoftplus: return 1.0f / (1.0f + std::exp(-x));
    case Kind::kScaledTanh: {
      const float t = std::tanh(kScaledTanhB * x);
      return kScaledTanhA * kScaledTanhB * (1.0f - t * t);
    }
    case Kind::kTanhLinear: {
      const float t = std::tanh(x);
      return 1.0f - t * t + c_;
    }
  }
  return 0;
}

void ScalarActivation::forward(graph::OpArgs& a) {
  const float* x = a.in[0].data();
  float* y = a.out.data();
  for (int64_t i = 0; i < a.out.numel(); ++i) y[i] = value(x[i]);
}

void ScalarActivation::backward(graph::OpArgs& a) {
  if (a.in_grad[0].empty()) return;
  const float* x = a.in[0].data();
  const float* dy = a.out_grad.data();
  float* dx = a.in_grad[0].data();
  for (int64_t i = 0; i < a.out.numel(); ++i) store_grad(dx[i], dy[i] * derivative(x[i]), a.accumulate[0]);
}

void ScalarActivation::jvp(graph::OpArgs& a) {
  const float* x = a.in[0].data();
  const float* dx = a.in_tangent[0].data();
  float* dy = a.out_tangent.data();
  for (int64_t i = 0; i < a.out.numel(); ++i) dy[i] = derivative(x[i]) * dx[i];
}

PRelu::PRelu(bool per_channel, double initial) : per_channel_(per_channel), initial_(initial) {
  TANDEM_USAGE_CHECK(std::isfinite(initial), "prelu init must be finite, got ", initial);
}

Shape PRelu::infer(const std::vector<Shape>& in) {
  channels_ = per_channel_ ? in[0][0] : 1;
  inner_ = in[0].numel() / channels_;
  return in[0];
}

std::vector<graph::ParamSpec> PRelu::params() const {
  return {{"slope", Shape{channels_}, {"constant", initial_, 1, 1}, false}};
}

void PRelu::forward(graph::OpArgs& a) {
  const float* x = a.in[0].data();
  const float* s = a.params[0].data();
  float* y = a.out.data();
  for (int64_t n = 0; n < a.batch; ++n)
    for (int64_t c = 0; c < channels_; ++c) {
      const int64_t off = (n * channels_ + c) * inner_;
      for (int64_t i = 0; i < inner_; ++i) y[off + i] = x[off + i] > 0 ? x[off + i] : s[c] * x[off + i];
    }
}

void PRelu::backward(graph::OpArgs& a) {
  const float* x = a.in[0].data();
  const float* s = a.params[0].data();
  const float* dy = a.out_grad.data();
  float* ds = graph::grad_or_null(a.param_grad[0]);  // null: frozen
  float* dx = a.in_grad[0].empty() ? nullptr : a.in_grad[0].data();
  for (int64_t n = 0; n < a.batch; ++n)
    for (int64_t c = 0; c < channels_; ++c) {
      const int64_t off = (n * channels_ + c) * inner_;
      double acc = 0;
      for (int64_t i = 0; i < inner_; ++i) {
        const float xi = x[off + i];
        if (xi <= 0) acc += static_cast<double>(dy[off + i]) * xi;
        if (dx) store_grad(dx[off + i], xi > 0 ? dy[off + i] : s[c] * dy[off + i], a.accumulate[0]);
      }
      if (ds) ds[c] += static_cast<float>(acc);
    }
}

void PRelu::jvp(graph::OpArgs& a) {
  const float* x = a.in[0].data();
  const float* s = a.params[0].data();
  const float* dx = a.in_tangent[0].data();
  const float* dsl = a.param_tangent[0].empty() ? nullptr : a.param_tangent[0].data();
  float* dy = a.out_tangent.data();
  for (int64_t n = 0; n < a.batch; ++n)
    for (int64_t c = 0; c < channels_; ++c) {
      const int64_t off = (n * channels_ + c) * inner_;
      for (int64_t i = 0; i < inner_; ++i) {
        const float xi = x[off + i];
        dy[off + i] = xi > 0 ? dx[off + i] : s[c] * dx[off + i] + (dsl ? dsl[c] * xi : 0.0f);
      }
    }
}

Maxout::Maxout(int64_t pieces) : k_(pieces) {
  TANDEM_USAGE_CHECK(pieces >= 2, "maxout needs at least 2 pieces, got ", pieces);
}

Shape Maxout::infer(const std::vector<Shape>& in) {
  TANDEM_USAGE_CHECK(in[0][0] % k_ == 0, "maxout ", k_, " needs a first axis divisible by ", k_, ", got ",
                     in[0].str(), "; give the layer before it ", k_, " x (outputs wanted) units or filters");
  groups_ = in[0][0] / k_;
  inner_ = in[0].numel() / in[0][0];
  std::vector<int64_t> dims = in[0].dims();
  dims[0] = groups_;
  return Shape(dims);
}

// Output element o = (group g, position i) reads x[(g k + j) inner + i], j < k.
int64_t Maxout::winner(const float* x, int64_t o) const {
  const int64_t g = o / inner_, i = o % inner_;
  int64_t best = g * k_ * inner_ + i;
  for (int64_t j = 1; j < k_; ++j) {
    const int64_t at = (g * k_ + j) * inner_ + i;
    if (x[at] > x[best]) best = at;
  }
  return best;
}

void Maxout::forward(graph::OpArgs& a) {
  const int64_t in_n = groups_ * k_ * inner_, out_n = groups_ * inner_;
  for (int64_t n = 0; n < a.batch; ++n) {
    const float* x = a.in[0].data() + n * in_n;
    float* y = a.out.data() + n * out_n;
    for (int64_t o = 0; o < out_n; ++o) y[o] = x[winner(x, o)];
  }
}

void Maxout::backward(graph::OpArgs& a) {
  if (a.in_grad[0].empty()) return;
  const int64_t in_n = groups_ * k_ * inner_, out_n = groups_ * inner_;
  for (int64_t n = 0; n < a.batch; ++n) {
    const float* x = a.in[0].data() + n * in_n;
    const float* dy = a.out_grad.data() + n * out_n;
    float* dx = a.in_grad[0].data() + n * in_n;
    if (!a.accumulate[0]) std::fill(dx, dx + in_n, 0.0f);
    for (int64_t o = 0; o < out_n; ++o) dx[winner(x, o)] += dy[o];
  }
}

void Maxout::jvp(graph::OpArgs& a) {
  const int64_t in_n = groups_ * k_ * inner_, out_n = groups_ * inner_;
  for (int64_t n = 0; n < a.batch; ++n) {
    const float* x = a.in[0].data() + n * in_n;
    const float* dx = a.in_tangent[0].data() + n * in_n;
    float* dy = a.out_tangent.data() + n * out_n;
    for (int64_t o = 0; o < out_n; ++o) dy[o] = dx[winner(x, o)];
  }
}

Shape Softmax::infer(const std::vector<Shape>& in) {
  const int64_t rank = in[0].rank();
  const int64_t axis = axis_ < 0 ? axis_ + rank : axis_;
  TANDEM_USAGE_CHECK(axis >= 0 && axis < rank, "softmax axis ", axis_, " is outside a sample of shape ",
                     in[0].str(), "; use an axis in [", -rank, ", ", rank - 1, "]");
  outer_ = k_ = inner_ = 1;
  for (int64_t d = 0; d < rank; ++d) (d < axis ? outer_ : d == axis ? k_ : inner_) *= in[0][d];
  return in[0];
}

namespace {

// Calls f(offset) for every softmax line of a batch: k values at offset + j * inner.
template <typename F>
void for_each_line(int64_t batch, int64_t outer, int64_t k, int64_t inner, F f) {
  for (int64_t o = 0; o < batch * outer; ++o)
    for (int64_t i = 0; i < inner; ++i) f(o * k * inner + i);
}

// dx = y * (dy - <dy, y>) along one line; the JVP has the same form with tangents.
void softmax_linear(const float* y, const float* v, float* out, int64_t k, int64_t stride, bool acc) {
  double s = 0;
  for (int64_t j = 0; j < k; ++j) s += static_cast<double>(v[j * stride]) * y[j * stride];
  for (int64_t j = 0; j < k; ++j)
    store_grad(out[j * stride], y[j * stride] * (v[j * stride] - static_cast<float>(s)), acc);
}

}  // namespace

void Softmax::forward(graph::OpArgs& a) {
  const int64_t st = inner_;
  for_each_line(a.batch, outer_, k_, inner_, [&](int64_t off) {
    const float* x = a.in[0].data() + off;
    float* y = a.out.data() + off;
    float m = x[0];
    for (int64_t j = 1; j < k_; ++j) m = std::max(m, x[j * st]);
    double z = 0;
    for (int64_t j = 0; j < k_; ++j) z += (y[j * st] = std::exp(x[j * st] - m));
    const float inv = static_cast<float>(1.0 / z);
    for (int64_t j = 0; j < k_; ++j) y[j * st] *= inv;
  });
}

void Softmax::backward(graph::OpArgs& a) {
  if (a.in_grad[0].empty()) return;
  for_each_line(a.batch, outer_, k_, inner_, [&](int64_t off) {
    softmax_linear(a.out.data() + off, a.out_grad.data() + off, a.in_grad[0].data() + off, k_, inner_,
                   a.accumulate[0]);
  });
}

void Softmax::jvp(graph::OpArgs& a) {
  for_each_line(a.batch, outer_, k_, inner_, [&](int64_t off) {
    softmax_linear(a.out.data() + off, a.in_tangent[0].data() + off, a.out_tangent.data() + off, k_, inner_,
                   false);
  });
}

void Flatten::forward(graph::OpArgs& a) {
  kernels::copy(a.in[0].data(), a.out.data(), a.out.numel());
}

void Flatten::backward(graph::OpArgs& a) {
  if (a.in_grad[0].empty()) return;
  if (a.accumulate[0])
    kernels::add(a.out_grad.data(), a.in_grad[0].data(), a.out.numel());
  else
    kernels::copy(a.out_grad.data(), a.in_grad[0].data(), a.out.numel());
}

void Flatten::jvp(graph::OpArgs& a) {
  kernels::copy(a.in_tangent[0].data(), a.out_tangent.data(), a.out.numel());
}

}  // namespace tandem::ops
