#include <algorithm>
#include <cmath>
#include <vector>

#include "tandem/core/error.hpp"
#include "tandem/core/rng.hpp"
#include "tandem/model/model.hpp"

namespace tandem::model {

namespace {

const char* const kKnown =
    "zeros, constant:V, xavier_uniform, xavier_uniform_sigmoid, xavier_normal, he_normal, he_uniform, "
    "lecun_normal, orthogonal[:GAIN], uniform_fan_in, normal[:STD], uniform[:LIMIT]";

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

}  // namespace

bool known_init(const std::string& s) {
  return s == "zeros" || s == "constant" || s == "xavier_uniform" || s == "glorot_uniform" ||
         s == "xavier_uniform_sigmoid" || s == "xavier_normal" || s == "glorot_normal" || s == "he_normal" ||
         s == "he_uniform" || s == "lecun_normal" || s == "orthogonal" || s == "uniform_fan_in" ||
         s == "normal" || s == "uniform";
}

std::string known_inits() {
  return kKnown;
}

void init_tensor(const graph::InitSpec& spec, Tensor t, uint64_t seed, uint32_t stream) {
  const auto& s = spec.scheme;
  float* x = t.data();
  const int64_t n = t.numel();
  const double fan_in = static_cast<double>(spec.fan_in), fan_out = static_cast<double>(spec.fan_out);
  Philox rng(seed, RngPurpose::kInit, stream);
  auto uniform = [&](double limit) {
    for (int64_t i = 0; i < n; ++i) x[i] = static_cast<float>((2.0 * rng.uniform() - 1.0) * limit);
  };
  auto normal = [&](double stddev) {
    for (int64_t i = 0; i < n; ++i) x[i] = static_cast<float>(rng.normal() * stddev);
  };
  if (s == "zeros") {
    for (int64_t i = 0; i < n; ++i) x[i] = 0.0f;
  } else if (s == "constant") {
    for (int64_t i = 0; i < n; ++i) x[i] = static_cast<float>(spec.value);
  } else if (s == "xavier_uniform" || s == "glorot_uniform") {
    uniform(std::sqrt(6.0 / (fan_in + fan_out)));  // Var = 2 / (fan_in + fan_out)
  } else if (s == "xavier_uniform_sigmoid") {
    uniform(4.0 * std::sqrt(6.0 / (fan_in + fan_out)));  // Glorot & Bengio's 4x for sigmoid units
  } else if (s == "xavier_normal" || s == "glorot_normal") {
    normal(std::sqrt(2.0 / (fan_in + fan_out)));
  } else if (s == "he_normal") {
    normal(std::sqrt(2.0 / fan_in));  // keeps ReLU activations' variance
  } else if (s == "he_uniform") {
    uniform(std::sqrt(6.0 / fan_in));  // Var = 2 / fan_in
  } else if (s == "lecun_normal") {
    normal(std::sqrt(1.0 / fan_in));
  } else if (s == "orthogonal") {
    const int64_t rows = t.shape().rank() > 0 ? t.shape()[0] : 1;
    orthogonal(x, rows, n / rows, spec.value != 0.0 ? spec.value : 1.0, rng);
  } else if (s == "normal") {
    normal(spec.value != 0.0 ? spec.value : 1.0);  // normal:STD
  } else if (s == "uniform") {
    uniform(spec.value != 0.0 ? spec.value : 1.0);  // uniform:LIMIT, on [-LIMIT, LIMIT]
  } else if (s == "uniform_fan_in") {
    uniform(1.0 / std::sqrt(fan_in));  // PyTorch's default for Linear and Conv2d
  } else {
    throw UsageError("unknown initializer '" + s + "'; known: " + kKnown);
  }
}

void initialize(graph::Graph& graph, uint64_t seed) {
  const auto& refs = graph.param_refs();
  for (size_t i = 0; i < refs.size(); ++i)
    init_tensor(refs[i].spec.init, graph.param(static_cast<int>(i)), seed, static_cast<uint32_t>(i));
}

}  // namespace tandem::model
