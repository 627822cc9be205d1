#pragma once
// σ and log σ without overflow, for the hierarchical softmax's decisions.
#include <algorithm>
#include <cmath>

namespace tandem::ops {

inline float sigmoid(float z) {
  if (z >= 0) return 1.0f / (1.0f + std::exp(-z));
  const float e = std::exp(z);
  return e / (1.0f + e);
}

// log σ(z) = −log(1 + e^−z), computed as min(z, 0) − log1p(e^−|z|).
inline double log_sigmoid(float z) {
  return std::min(static_cast<double>(z), 0.0) - std::log1p(std::exp(-std::abs(static_cast<double>(z))));
}

}  // namespace tandem::ops
