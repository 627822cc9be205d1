#include "tandem/optim/schedule.hpp"

#include <cmath>

#include "tandem/core/error.hpp"

namespace tandem::optim {
namespace {

class Constant final : public Schedule {
 public:
  std::string name() const override { return "constant"; }
  double lr(double base, int64_t, int64_t) const override { return base; }
};

// eta = eta0 * gamma^floor(epoch / step_epochs)
class StepDecay final : public Schedule {
 public:
  StepDecay(double every, double gamma) : every_(every), gamma_(gamma) {}
  std::string name() const override { return "step"; }
  double lr(double base, int64_t epoch, int64_t) const override {
    return base * std::pow(gamma_, std::floor(static_cast<double>(epoch) / every_));
  }

 private:
  double every_, gamma_;
};

}  // namespace

std::unique_ptr<Schedule> make_schedule(const ScheduleConfig& c) {
  if (c.name == "constant") return std::make_unique<Constant>();
  if (c.name == "step") {
    TANDEM_USAGE_CHECK(c.step_epochs > 0, "--lr-step-epochs must be positive, got ", c.step_epochs);
    TANDEM_USAGE_CHECK(c.gamma > 0, "--lr-gamma must be positive, got ", c.gamma);
    return std::make_unique<StepDecay>(c.step_epochs, c.gamma);
  }
  throw UsageError("unknown learning-rate schedule '" + c.name + "'; known: constant, step");
}

}  // namespace tandem::optim
