#pragma once
// The top eigenvalues of the Hessian of the loss with respect to the parameters, by Lanczos
// (with full reorthogonalization) or power iteration on Hessian-vector products. The engine's
// forward mode differentiates the forward pass only, not backward, so Hv is the central
// difference of gradients (grad L(w + e v) - grad L(w - e v)) / 2e: exact for a quadratic loss
// up to rounding, O(e^2) otherwise. Gradients are of the mean loss over the first `samples`
// rows, split across ranks and reduced; the model runs in evaluation mode (running batch-norm
// statistics, no dropout), so the loss is one fixed function.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tandem/core/enum_names.hpp"
#include "tandem/data/dataset.hpp"
#include "tandem/dist/comm.hpp"
#include "tandem/model/model.hpp"

namespace tandem::train {

enum class EigenMethod { kLanczos, kPower };
inline constexpr EnumName<EigenMethod> kEigenMethodNames[] = {
    {EigenMethod::kLanczos, "lanczos", "Lanczos with full reorthogonalization"},
    {EigenMethod::kPower, "power", "power iteration, deflating the eigenvectors found"},
};
constexpr std::span<const EnumName<EigenMethod>> enum_names(EigenMethod) {
  return kEigenMethodNames;
}

struct HessianOptions {
  int64_t samples = 1000;   // first rows of the split (0: all)
  int64_t top = 3;          // eigenvalues reported
  int64_t iterations = 30;  // Lanczos steps, or power iterations per eigenvalue
  EigenMethod method = EigenMethod::kLanczos;
  double fd_step = 1e-3;  // e, relative to max(1, |w| / sqrt(P))
  uint64_t seed = 0;      // start vector
  int64_t chunk = 256;    // rows per forward pass
};

struct HessianResult {
  std::vector<double> eigenvalues;  // largest first
  std::vector<double> residuals;    // |H u - lambda u| estimates, same order
  int64_t products = 0;             // Hessian-vector products used
  double loss = 0;                  // mean loss at the parameters
  std::string product_method;       // how Hv was computed, for the report
};

// Collective: every rank returns the same result.
HessianResult hessian_eigenvalues(model::Model& m, const data::Dataset& d, const HessianOptions& o,
                                  dist::Comm& comm);

}  // namespace tandem::train
