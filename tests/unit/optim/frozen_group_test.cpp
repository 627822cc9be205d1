// --freeze in the optimizer: a frozen group is never updated (no step, no weight decay, no L1,
// whatever its gradient), and the other groups get exactly the updates they would get alone.
#include <gtest/gtest.h>

#include <vector>

#include "../../support/random_floats.hpp"
#include "tandem/optim/optimizer.hpp"

namespace tandem {
namespace {

TEST(FrozenGroup, NeverUpdatedAndTheRestAsIfAlone) {
  for (const auto& entry : optim::optimizer_registry().entries()) {
    if (entry.full_batch) continue;  // lbfgs refuses --freeze (trainer)
    optim::OptimizerConfig c;
    c.name = entry.name;
    // Frozen [0, 4) with decay and L1 that would move it; trainable [4, 10) with its own.
    auto opt = optim::make_optimizer(c);
    opt->set_groups({{0, 4, 0.1, 0.01, 1.0, true, true}, {4, 10, 0.05, 0.0, 1.0, true, false}});
    auto alone = optim::make_optimizer(c);
    alone->set_groups({{0, 6, 0.05, 0.0, 1.0, true, false}});
    auto p = testing::uniform_floats(10, 3, 1);
    std::vector<float> q(p.begin() + 4, p.end());
    const std::vector<float> frozen(p.begin(), p.begin() + 4);
    for (int step = 0; step < 4; ++step) {
      const auto g = testing::uniform_floats(10, 3, 2 + step);  // non-zero on the frozen part too
      opt->step(p, g, 0.1);
      alone->step(q, std::span<const float>(g).subspan(4), 0.1);
      EXPECT_EQ(std::vector<float>(p.begin(), p.begin() + 4), frozen) << entry.name << " step " << step;
      EXPECT_EQ(std::vector<float>(p.begin() + 4, p.end()), q) << entry.name << " step " << step;
    }
  }
}

}  // namespace
}  // namespace tandem
