#include <cmath>

#include "tandem/core/error.hpp"
#include "tandem/core/rng.hpp"
#include "tandem/model/model.hpp"

namespace tandem::model {

bool known_init(const std::string& s) {
  return s == "zeros" || s == "constant" || s == "xavier_uniform" || s == "glorot_uniform" ||
         s == "xavier_normal" || s == "glorot_normal" || s == "he_normal" || s == "uniform_fan_in";
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
  } else if (s == "xavier_normal" || s == "glorot_normal") {
    normal(std::sqrt(2.0 / (fan_in + fan_out)));
  } else if (s == "he_normal") {
    normal(std::sqrt(2.0 / fan_in));  // keeps ReLU activations' variance
  } else if (s == "uniform_fan_in") {
    uniform(1.0 / std::sqrt(fan_in));  // PyTorch's default for Linear and Conv2d
  } else {
    throw UsageError("unknown initializer '" + s +
                     "'; known: zeros, constant:V, xavier_uniform, xavier_normal, he_normal, "
                     "uniform_fan_in");
  }
}

void initialize(graph::Graph& graph, uint64_t seed) {
  const auto& refs = graph.param_refs();
  for (size_t i = 0; i < refs.size(); ++i)
    init_tensor(refs[i].spec.init, graph.param(static_cast<int>(i)), seed, static_cast<uint32_t>(i));
}

}  // namespace tandem::model
