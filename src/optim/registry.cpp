// Every optimizer --optimizer can name: one line each (name, aliases, update rule, factory,
// properties). To add one, write its source file in this directory, declare its factory in
// factories.hpp and add its line here (README "Extending tandem").
#include "factories.hpp"

namespace tandem::optim {

const Registry<OptimizerInfo>& optimizer_registry() {
  // A table: one registration per entry, formatted by hand.
  // clang-format off
  static const Registry<OptimizerInfo> registry("optimizer", "optimizers", {
      {"sgd", {}, "p ← p − η·g", make_sgd},
      {"momentum", {}, "heavy ball, PyTorch's form: v ← μv + g; p ← p − η·v (`--momentum` μ)",
       make_momentum},
      {"nesterov", {}, "v ← μv + g; p ← p − η·(g + μv)",
       make_nesterov},
      {"adam", {}, "bias-corrected moments (`--beta1 --beta2 --adam-eps`): p ← p − η·m̂/(√v̂ + ε)",
       make_adam},
      {"adamw", {}, "Adam with decoupled weight decay p ← p − η·wd·p",
       make_adamw},
      {"adagrad", {}, "G ← G + g²; p ← p − η·g/(√G + ε)",
       make_adagrad},
      {"rmsprop", {}, "G ← ρG + (1 − ρ)g²; p ← p − η·g/(√G + ε) (`--rho` ρ)",
       make_rmsprop},
      {"lars", {}, "layer-wise trust ratio λ = η·‖w‖/(‖g‖ + wd·‖w‖) (`--trust-coefficient` η); v ← μv + lr·λ·(g + wd·w); w ← w − v",
       make_lars},
      {"lamb", {}, "Adam moments, u = m̂/(√v̂ + ε) + wd·w, w ← w − lr·‖w‖/‖u‖·u per tensor",
       make_lamb},
      {"lbfgs", {}, "full batch: two-loop recursion, strong-Wolfe line search (`--lbfgs-*`)",
       make_lbfgs, true},
  });
  // clang-format on
  return registry;
}

}  // namespace tandem::optim
