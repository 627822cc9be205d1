#include "tandem/ops/merge.hpp"

#include "tandem/core/error.hpp"
#include "tandem/tensor/kernels.hpp"

namespace tandem::ops {

Shape Add::infer(const std::vector<Shape>& in) {
  for (size_t i = 1; i < in.size(); ++i)
    TANDEM_USAGE_CHECK(in[i] == in[0], "add needs inputs of one shape, got ", in[0].str(), " and ",
                       in[i].str());
  return in[0];
}

void Add::forward(graph::OpArgs& a) {
  const int64_t n = a.out.numel();
  kernels::copy(a.in[0].data(), a.out.data(), n);
  for (size_t i = 1; i < a.in.size(); ++i) kernels::add(a.in[i].data(), a.out.data(), n);
}

void Add::backward(graph::OpArgs& a) {
  const int64_t n = a.out.numel();
  for (size_t i = 0; i < a.in.size(); ++i) {
    if (a.in_grad[i].empty()) continue;
    if (a.accumulate[i])
      kernels::add(a.out_grad.data(), a.in_grad[i].data(), n);
    else
      kernels::copy(a.out_grad.data(), a.in_grad[i].data(), n);
  }
}

void Add::jvp(graph::OpArgs& a) {
  const int64_t n = a.out.numel();
  kernels::copy(a.in_tangent[0].data(), a.out_tangent.data(), n);
  for (size_t i = 1; i < a.in.size(); ++i) kernels::add(a.in_tangent[i].data(), a.out_tangent.data(), n);
}

Shape Multiply::infer(const std::vector<Shape>& in) {
  TANDEM_USAGE_CHECK(in[1] == in[0], "mul needs inputs of one shape, got ", in[0].str(), " and ",
                     in[1].str());
  return in[0];
}

void Multiply::forward(graph::OpArgs& a) {
  const float *x = a.in[0].data(), *y = a.in[1].data();
  float* z = a.out.data();
  for (int64_t i = 0; i < a.out.numel(); ++i) z[i] = x[i] * y[i];
}

void Multiply::backward(graph::OpArgs& a) {
  const float* dz = a.out_grad.data();
  for (int k = 0; k < 2; ++k) {
    if (a.in_grad[k].empty()) continue;
    const float* other = a.in[1 - k].data();
    float* d = a.in_grad[k].data();
    for (int64_t i = 0; i < a.out.numel(); ++i) graph::store_grad(d[i], dz[i] * other[i], a.accumulate[k]);
  }
}

void Multiply::jvp(graph::OpArgs& a) {
  const float *x = a.in[0].data(), *y = a.in[1].data();
  const float *dx = a.in_tangent[0].data(), *dy = a.in_tangent[1].data();
  float* dz = a.out_tangent.data();
  for (int64_t i = 0; i < a.out.numel(); ++i) dz[i] = dx[i] * y[i] + x[i] * dy[i];
}

Shape Concat::infer(const std::vector<Shape>& in) {
  Shape out = in[0];
  TANDEM_USAGE_CHECK(out.rank() >= 1, "concat needs inputs with at least one axis");
  size_.clear();
  offset_.clear();
  int64_t total = 0;
  for (const auto& s : in) {
    TANDEM_USAGE_CHECK(s.rank() == in[0].rank(), "concat needs inputs of one rank, got ", in[0].str(),
                       " and ", s.str());
    for (int d = 1; d < s.rank(); ++d)
      TANDEM_USAGE_CHECK(s[d] == in[0][d], "concat joins along the first axis; the others must agree, got ",
                         in[0].str(), " and ", s.str());
    offset_.push_back(total);
    size_.push_back(s.numel());
    total += s.numel();
    if (&s != &in[0]) out[0] += s[0];
  }
  row_ = total;
  return out;
}

void Concat::forward(graph::OpArgs& a) {
  for (int64_t r = 0; r < a.batch; ++r)
    for (size_t i = 0; i < a.in.size(); ++i)
      kernels::copy(a.in[i].data() + r * size_[i], a.out.data() + r * row_ + offset_[i], size_[i]);
}

void Concat::backward(graph::OpArgs& a) {
  for (size_t i = 0; i < a.in.size(); ++i) {
    if (a.in_grad[i].empty()) continue;
    for (int64_t r = 0; r < a.batch; ++r) {
      const float* g = a.out_grad.data() + r * row_ + offset_[i];
      float* dx = a.in_grad[i].data() + r * size_[i];
      if (a.accumulate[i])
        kernels::add(g, dx, size_[i]);
      else
        kernels::copy(g, dx, size_[i]);
    }
  }
}

void Concat::jvp(graph::OpArgs& a) {
  for (int64_t r = 0; r < a.batch; ++r)
    for (size_t i = 0; i < a.in.size(); ++i)
      kernels::copy(a.in_tangent[i].data() + r * size_[i], a.out_tangent.data() + r * row_ + offset_[i],
                    size_[i]);
}

std::unique_ptr<graph::Op> make_add(SpecArgs&, const OpContext&) {
  return std::make_unique<Add>();
}
std::unique_ptr<graph::Op> make_mul(SpecArgs&, const OpContext&) {
  return std::make_unique<Multiply>();
}
std::unique_ptr<graph::Op> make_concat(SpecArgs&, const OpContext&) {
  return std::make_unique<Concat>();
}

}  // namespace tandem::ops
