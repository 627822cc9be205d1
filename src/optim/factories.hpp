#pragma once
// The optimizers' factories, private to the optim module: registry.cpp registers them.
#include <memory>

#include "tandem/optim/optimizer.hpp"

namespace tandem::optim {

std::unique_ptr<Optimizer> make_sgd(const OptimizerConfig& config);
std::unique_ptr<Optimizer> make_momentum(const OptimizerConfig& config);
std::unique_ptr<Optimizer> make_nesterov(const OptimizerConfig& config);
std::unique_ptr<Optimizer> make_adam(const OptimizerConfig& config);
std::unique_ptr<Optimizer> make_adamw(const OptimizerConfig& config);
std::unique_ptr<Optimizer> make_adagrad(const OptimizerConfig& config);
std::unique_ptr<Optimizer> make_rmsprop(const OptimizerConfig& config);
std::unique_ptr<Optimizer> make_lars(const OptimizerConfig& config);
std::unique_ptr<Optimizer> make_lamb(const OptimizerConfig& config);
std::unique_ptr<Optimizer> make_lbfgs(const OptimizerConfig& config);

// Sum of x[i]^2 over [begin, end), in double and in index order: the parts of the LARS and
// LAMB trust ratios' norms.
double sum_squares(const float* x, int64_t begin, int64_t end);

}  // namespace tandem::optim
