#pragma once
// L-BFGS (Nocedal & Wright, Algorithms 7.4 and 3.5/3.6) for full-batch training: the two-loop
// recursion over the last m curvature pairs gives the direction, and a line search finds a
// step satisfying the strong Wolfe conditions
//   f(x + a d) <= f(x) + c1 a g.d   and   |g(x + a d).d| <= c2 |g.d|.
// The objective is evaluated by the caller (a collective over all ranks that returns the same
// values everywhere); every other computation here is serial and deterministic, so all ranks
// take identical steps.
#include <functional>
#include <span>

#include "tandem/optim/optimizer.hpp"

namespace tandem::optim {

// Evaluates the objective at parameters x: returns f(x) and writes its gradient into g.
using Objective = std::function<double(std::span<const float> x, std::span<float> g)>;

struct LbfgsIteration {
  double loss = 0;      // f at the new point
  double grad_max = 0;  // max |g_i| at the new point
  double step = 0;      // accepted step length a (0: none)
  int64_t evaluations = 0;
  bool converged = false;  // grad_max <= tolerance
  bool failed = false;     // no step with sufficient decrease; x is unchanged
};

class Lbfgs final : public Optimizer {
 public:
  explicit Lbfgs(const OptimizerConfig& c);
  std::string name() const override { return "lbfgs"; }
  // The curvature pairs and their bookkeeping: a resumed run continues the same recursion.
  std::vector<StateArray> state() override { return {{"s", &s_}, {"y", &y_}, {"pairs", &pairs_}}; }

  // One iteration from x, where f and g hold f(x) and its gradient; updates all three.
  LbfgsIteration iterate(std::span<float> x, double& f, std::span<float> g, const Objective& objective);

 protected:
  void update(float*, const float*, const UpdateSlice&) override;
  void prepare(int64_t n) override;

 private:
  void direction(std::span<const float> g);  // d_ = -H g
  void remember(std::span<const float> x, std::span<const float> g);
  void forget() { pairs_[0] = pairs_[1] = 0; }
  int64_t n_ = 0;
  std::vector<float> s_, y_;  // [history, n] ring buffers
  std::vector<float> pairs_;  // {pairs held, index of the newest}
  std::vector<float> d_, x0_, g0_;
  std::vector<double> alpha_;
};

}  // namespace tandem::optim
