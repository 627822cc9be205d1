#include "tandem/optim/schedule.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "tandem/core/error.hpp"

namespace tandem::optim {
namespace {

double final_rate(const ScheduleConfig& c, double eta0) {
  return c.final_fraction * eta0;
}

// Warmup, then the registered formula at the epoch and the fraction of tau done.
class RegisteredSchedule final : public Schedule {
 public:
  RegisteredSchedule(const ScheduleInfo& info, const ScheduleConfig& c) : info_(info), c_(c) {
    tau_ = c.tau > 0 ? c.tau : std::max<int64_t>(1, c.total_steps - c.warmup_steps);
  }
  std::string name() const override { return info_.name; }
  double lr(double base, int64_t epoch, int64_t step) const override {
    if (step < c_.warmup_steps) {
      const double ramp = static_cast<double>(step + 1) / static_cast<double>(c_.warmup_steps);
      return base * (c_.warmup_start + (1.0 - c_.warmup_start) * ramp);
    }
    const double t = std::min(1.0, static_cast<double>(step - c_.warmup_steps) / static_cast<double>(tau_));
    return info_.rate(c_, base, static_cast<double>(epoch), t);
  }

 private:
  const ScheduleInfo& info_;
  ScheduleConfig c_;
  int64_t tau_ = 1;
};

}  // namespace

const Registry<ScheduleInfo>& schedule_registry() {
  using C = const ScheduleConfig&;
  // A table: one registration per entry, formatted by hand.
  // clang-format off
  static const Registry<ScheduleInfo> registry("learning-rate schedule", "schedules", {
      {"constant", {}, "η₀", [](C, double eta0, double, double) { return eta0; }},
      {"step", {}, "η₀·γ^⌊epoch/`--lr-step-epochs`⌋ (`--lr-gamma` γ)",
       [](C c, double eta0, double e, double) { return eta0 * std::pow(c.gamma, std::floor(e / c.step_epochs)); }},
      {"exponential", {}, "η₀·γ^epoch", [](C c, double eta0, double e, double) { return eta0 * std::pow(c.gamma, e); }},
      {"inverse_time", {}, "η₀/(1 + k·epoch) (`--lr-decay` k)",
       [](C c, double eta0, double e, double) { return eta0 / (1.0 + c.decay * e); }},
      {"linear", {}, "(1 − t/τ)·η₀ + (t/τ)·η_τ, then η_τ",
       [](C c, double eta0, double, double t) { return (1.0 - t) * eta0 + t * final_rate(c, eta0); }},
      {"cosine", {}, "η_τ + (η₀ − η_τ)(1 + cos(πt/τ))/2, then η_τ",
       [](C c, double eta0, double, double t) {
         const double low = final_rate(c, eta0);
         return low + (eta0 - low) * 0.5 * (1.0 + std::cos(std::numbers::pi * t));
       }},
      {"polynomial", {}, "η_τ + (η₀ − η_τ)(1 − t/τ)^p (`--lr-power` p), then η_τ",
       [](C c, double eta0, double, double t) {
         const double low = final_rate(c, eta0);
         return low + (eta0 - low) * std::pow(1.0 - t, c.power);
       }},
  });
  // clang-format on
  return registry;
}

void validate(const ScheduleConfig& c) {
  schedule_registry().get(c.name, "--lr-schedule: ");
  TANDEM_USAGE_CHECK(c.step_epochs > 0, "--lr-step-epochs must be positive, got ", c.step_epochs);
  TANDEM_USAGE_CHECK(c.gamma > 0, "--lr-gamma must be positive, got ", c.gamma);
  TANDEM_USAGE_CHECK(c.decay >= 0, "--lr-decay must be >= 0, got ", c.decay);
  TANDEM_USAGE_CHECK(c.tau >= 0, "--lr-tau must be >= 0 (0: the whole run), got ", c.tau);
  TANDEM_USAGE_CHECK(c.final_fraction >= 0 && c.final_fraction <= 1,
                     "--lr-final-fraction must be in [0, 1], got ", c.final_fraction);
  TANDEM_USAGE_CHECK(c.power > 0, "--lr-power must be positive, got ", c.power);
  TANDEM_USAGE_CHECK(c.warmup_steps >= 0, "--warmup-steps must be >= 0, got ", c.warmup_steps);
  TANDEM_ASSERT(c.warmup_start >= 0 && c.warmup_start <= 1, "warmup must start within [0, eta0]");
}

double scaled_lr(double lr, int64_t batch, LrScaling scaling, int64_t base_batch) {
  const double k = static_cast<double>(batch) / static_cast<double>(base_batch);
  switch (scaling) {
    case LrScaling::kNone: return lr;
    case LrScaling::kLinear: return lr * k;
    case LrScaling::kSqrt: return lr * std::sqrt(k);
  }
  return lr;
}

std::unique_ptr<Schedule> make_schedule(const ScheduleConfig& c) {
  validate(c);
  return std::make_unique<RegisteredSchedule>(schedule_registry().get(c.name), c);
}

}  // namespace tandem::optim
