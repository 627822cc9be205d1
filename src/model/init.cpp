#include <algorithm>
#include <cmath>
#include <vector>

#include "tandem/core/error.hpp"
#include "tandem/core/rng.hpp"
#include "tandem/model/init.hpp"

namespace tandem::model {

namespace {

// Rows of a [rows, cols] matrix made orthonormal (rows <= cols) or its columns (rows > cols):
// modified Gram-Schmidt in double on a Gaussian matrix, which is a QR factorization, so the
// result is uniformly distributed over orthogonal matrices (Saxe et al.).
void orthogonal(float* x, int64_t rows, int64_t cols, double gain, Philox& rng) {
  const int64_t r = std::min(rows, cols), c = std::max(rows, cols);  // r vectors of length c
  std::vector<double> q(static_cast<size_t>(r * c));
  for (auto& v : q) v = rng.normal();
  for (int64_t i = 0; i < r; ++i) {
    double* qi = q.data() + i * c;
    for (int64_t j = 0; j < i; ++j) {
      const double* qj = q.data() + j * c;
      double dot = 0;
      for (int64_t k = 0; k < c; ++k) dot += qi[k] * qj[k];
      for (int64_t k = 0; k < c; ++k) qi[k] -= dot * qj[k];
    }
    double norm = 0;
    for (int64_t k = 0; k < c; ++k) norm += qi[k] * qi[k];
    norm = std::sqrt(norm);
    for (int64_t k = 0; k < c; ++k) qi[k] /= norm;
  }
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t k = 0; k < cols; ++k)
      x[i * cols + k] = static_cast<float>(gain * (rows <= cols ? q[i * cols + k] : q[k * rows + i]));
}

void fill_uniform(Tensor t, double limit, Philox& rng) {
  for (int64_t i = 0; i < t.numel(); ++i)
    t.data()[i] = static_cast<float>((2.0 * rng.uniform() - 1.0) * limit);
}

void fill_normal(Tensor t, double stddev, Philox& rng) {
  for (int64_t i = 0; i < t.numel(); ++i) t.data()[i] = static_cast<float>(rng.normal() * stddev);
}

double value_or_one(const graph::InitSpec& s) {
  return s.value != 0.0 ? s.value : 1.0;
}

double fan_sum(const graph::InitSpec& s) {
  return static_cast<double>(s.fan_in + s.fan_out);
}

double fan_in(const graph::InitSpec& s) {
  return static_cast<double>(s.fan_in);
}

}  // namespace

const Registry<InitializerInfo>& initializer_registry() {
  using Spec = const graph::InitSpec&;
  // A table: one registration per entry, formatted by hand.
  // clang-format off
  static const Registry<InitializerInfo> registry("initializer", "initializers", {
      {"zeros", {}, "0", [](Spec, Tensor t, Philox&) { std::fill(t.data(), t.data() + t.numel(), 0.0f); }, true},
      {"constant", {}, "`constant:V`: V everywhere (e.g. `bias_init=constant:0.01` for ReLU units)",
       [](Spec s, Tensor t, Philox&) { std::fill(t.data(), t.data() + t.numel(), static_cast<float>(s.value)); },
       true},
      {"xavier_uniform", {"glorot_uniform"}, "U(±√(6/(fan_in+fan_out))), variance 2/(fan_in+fan_out)",
       [](Spec s, Tensor t, Philox& r) { fill_uniform(t, std::sqrt(6.0 / fan_sum(s)), r); }},
      {"xavier_uniform_sigmoid", {}, "4× the range of `xavier_uniform` (Glorot & Bengio's choice for sigmoid units)",
       [](Spec s, Tensor t, Philox& r) { fill_uniform(t, 4.0 * std::sqrt(6.0 / fan_sum(s)), r); }},
      {"xavier_normal", {"glorot_normal"}, "N(0, 2/(fan_in+fan_out))",
       [](Spec s, Tensor t, Philox& r) { fill_normal(t, std::sqrt(2.0 / fan_sum(s)), r); }},
      {"he_normal", {}, "N(0, 2/fan_in): keeps the variance of ReLU activations",
       [](Spec s, Tensor t, Philox& r) { fill_normal(t, std::sqrt(2.0 / fan_in(s)), r); }},
      {"he_uniform", {}, "U(±√(6/fan_in)), variance 2/fan_in",
       [](Spec s, Tensor t, Philox& r) { fill_uniform(t, std::sqrt(6.0 / fan_in(s)), r); }},
      {"lecun_normal", {}, "N(0, 1/fan_in)",
       [](Spec s, Tensor t, Philox& r) { fill_normal(t, std::sqrt(1.0 / fan_in(s)), r); }},
      {"orthogonal", {}, "`orthogonal[:GAIN]`: QR of a Gaussian matrix, orthonormal rows (columns of a tall weight) × GAIN (1)",
       [](Spec s, Tensor t, Philox& r) {
         const int64_t rows = t.shape().rank() > 0 ? t.shape()[0] : 1;
         orthogonal(t.data(), rows, t.numel() / rows, value_or_one(s), r);
       }},
      {"uniform_fan_in", {}, "U(±1/√fan_in), PyTorch's default for Linear and Conv2d",
       [](Spec s, Tensor t, Philox& r) { fill_uniform(t, 1.0 / std::sqrt(fan_in(s)), r); }},
      {"normal", {}, "`normal[:STD]`: N(0, STD²), STD 1 by default (the RBF centres' default)",
       [](Spec s, Tensor t, Philox& r) { fill_normal(t, value_or_one(s), r); }},
      {"uniform", {}, "`uniform[:LIMIT]`: U(±LIMIT), LIMIT 1 by default",
       [](Spec s, Tensor t, Philox& r) { fill_uniform(t, value_or_one(s), r); }},
  });
  // clang-format on
  return registry;
}

void init_tensor(const graph::InitSpec& spec, Tensor t, uint64_t seed, uint32_t stream) {
  const auto& info = initializer_registry().get(spec.scheme);
  Philox rng(seed, RngPurpose::kInit, stream);
  info.fill(spec, t, rng);
}

void initialize(graph::Graph& graph, uint64_t seed) {
  const auto& refs = graph.param_refs();
  for (size_t i = 0; i < refs.size(); ++i)
    init_tensor(refs[i].spec.init, graph.param(static_cast<int>(i)), seed, static_cast<uint32_t>(i));
}

}  // namespace tandem::model
