#include "tandem/optim/schedule.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "tandem/core/error.hpp"

namespace tandem::optim {
namespace {

// One class for all formulas: each is a line of lr(); the configuration is validated once.
class Formula final : public Schedule {
 public:
  explicit Formula(const ScheduleConfig& c) : c_(c) {
    tau_ = c.tau > 0 ? c.tau : std::max<int64_t>(1, c.total_steps - c.warmup_steps);
  }
  std::string name() const override { return c_.name; }
  double lr(double base, int64_t epoch, int64_t step) const override {
    if (step < c_.warmup_steps)
      return base * static_cast<double>(step + 1) / static_cast<double>(c_.warmup_steps);
    const double e = static_cast<double>(epoch);
    const double t = std::min(1.0, static_cast<double>(step - c_.warmup_steps) / static_cast<double>(tau_));
    const double final_lr = c_.final_fraction * base;
    if (c_.name == "constant") return base;
    if (c_.name == "step") return base * std::pow(c_.gamma, std::floor(e / c_.step_epochs));
    if (c_.name == "exponential") return base * std::pow(c_.gamma, e);
    if (c_.name == "inverse_time") return base / (1.0 + c_.decay * e);
    if (c_.name == "linear") return (1.0 - t) * base + t * final_lr;
    if (c_.name == "cosine")
      return final_lr + (base - final_lr) * 0.5 * (1.0 + std::cos(std::numbers::pi * t));
    return final_lr + (base - final_lr) * std::pow(1.0 - t, c_.power);  // polynomial
  }

 private:
  ScheduleConfig c_;
  int64_t tau_ = 1;
};

}  // namespace

std::unique_ptr<Schedule> make_schedule(const ScheduleConfig& c) {
  static const char* kNames[] = {"constant", "step",   "exponential", "inverse_time",
                                 "linear",   "cosine", "polynomial"};
  TANDEM_USAGE_CHECK(std::find(std::begin(kNames), std::end(kNames), c.name) != std::end(kNames),
                     "unknown learning-rate schedule '", c.name,
                     "'; known: constant, step, exponential, inverse_time, linear, cosine, polynomial");
  TANDEM_USAGE_CHECK(c.step_epochs > 0, "--lr-step-epochs must be positive, got ", c.step_epochs);
  TANDEM_USAGE_CHECK(c.gamma > 0, "--lr-gamma must be positive, got ", c.gamma);
  TANDEM_USAGE_CHECK(c.decay >= 0, "--lr-decay must be >= 0, got ", c.decay);
  TANDEM_USAGE_CHECK(c.tau >= 0, "--lr-tau must be >= 0 (0: the whole run), got ", c.tau);
  TANDEM_USAGE_CHECK(c.final_fraction >= 0 && c.final_fraction <= 1,
                     "--lr-final-fraction must be in [0, 1], got ", c.final_fraction);
  TANDEM_USAGE_CHECK(c.power > 0, "--lr-power must be positive, got ", c.power);
  TANDEM_USAGE_CHECK(c.warmup_steps >= 0, "--warmup-steps must be >= 0, got ", c.warmup_steps);
  return std::make_unique<Formula>(c);
}

}  // namespace tandem::optim
