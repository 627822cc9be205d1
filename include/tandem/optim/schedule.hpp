#pragma once
// Learning-rate schedules: the rate as a function of the epoch or the global step.
//   constant       eta0
//   step           eta0 gamma^floor(epoch / step_epochs)
//   exponential    eta0 gamma^epoch
//   inverse_time   eta0 / (1 + decay t), t = epoch
//   linear         (1 - t/tau) eta0 + (t/tau) eta_tau until step tau, eta_tau after
//   cosine         eta_tau + (eta0 - eta_tau) (1 + cos(pi t / tau)) / 2, then eta_tau
//   polynomial     eta_tau + (eta0 - eta_tau) (1 - t/tau)^power, then eta_tau
// with eta_tau = final_fraction eta0 and t the global step for the last three; tau defaults to
// the run's total steps. warmup_steps = W > 0 prefixes any of them with a linear ramp
// eta0 (a + (1 - a) (s + 1) / W) over steps s < W, from a = warmup_start (0: from eta0 / W;
// Goyal et al.'s gradual warmup starts at the unscaled rate, a = 1/k for a k-fold scaled
// eta0); the schedule then starts at step W as if at step 0.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tandem/core/enum_names.hpp"
#include "tandem/core/registry.hpp"

namespace tandem::optim {

// Defaults here are the defaults of `tandem train` (its option table reads them).
struct ScheduleConfig {
  std::string name = "constant";  // a key of schedule_registry()
  double step_epochs = 10;        // step
  double gamma = 0.1;             // step, exponential
  double decay = 0.1;             // inverse_time
  int64_t tau = 0;                // linear, cosine, polynomial: steps (0: total_steps)
  double final_fraction = 0.01;   // eta_tau / eta0
  double power = 2.0;             // polynomial
  int64_t warmup_steps = 0;
  double warmup_start = 0;  // the ramp's first rate as a fraction of eta0 (set by the trainer)
  int64_t total_steps = 0;  // set by the trainer: steps of the whole run
};

class Schedule {
 public:
  virtual ~Schedule() = default;
  virtual std::string name() const = 0;
  // Learning rate for a step taken during (0-based) epoch `epoch`, global step `step`.
  virtual double lr(double base_lr, int64_t epoch, int64_t step) const = 0;
};

// The schedules `--lr-schedule` can name: one registration line each in schedule.cpp. `rate`
// gives the rate after warmup at epoch `epoch` (0-based) and t = min(1, steps after warmup /
// tau) for base rate eta0.
struct ScheduleInfo {
  std::string name;
  std::vector<std::string> aliases;
  std::string summary;  // the formula, one line
  double (*rate)(const ScheduleConfig& c, double eta0, double epoch, double t) = nullptr;
};
const Registry<ScheduleInfo>& schedule_registry();

// UsageError naming the option (--lr-gamma, ...) of a value out of its range.
void validate(const ScheduleConfig& config);

// Learning-rate scaling with the batch (Goyal et al. 2017: linear; Krizhevsky 2014, Hoffer et
// al. 2017: square root): the rate for a global batch `batch` from the rate `lr` tuned at
// `base_batch`.
enum class LrScaling { kNone, kLinear, kSqrt };
inline constexpr EnumName<LrScaling> kLrScalingNames[] = {
    {LrScaling::kNone, "none", "the rate as given"},
    {LrScaling::kLinear, "linear", "lr x B / B0"},
    {LrScaling::kSqrt, "sqrt", "lr x sqrt(B / B0)"},
};
constexpr std::span<const EnumName<LrScaling>> enum_names(LrScaling) {
  return kLrScalingNames;
}
double scaled_lr(double lr, int64_t batch, LrScaling scaling, int64_t base_batch);

// validate(config), then the registry's schedule called config.name.
std::unique_ptr<Schedule> make_schedule(const ScheduleConfig& config);

}  // namespace tandem::optim
