#pragma once
// Learning-rate schedules: the rate as a function of the epoch (and step).
#include <cstdint>
#include <memory>
#include <string>

namespace tandem::optim {

struct ScheduleConfig {
  std::string name = "constant";  // constant | step
  double step_epochs = 10;        // step: multiply by gamma every step_epochs epochs
  double gamma = 0.1;
};

class Schedule {
 public:
  virtual ~Schedule() = default;
  virtual std::string name() const = 0;
  // Learning rate for a step taken during (0-based) epoch `epoch`, global step `step`.
  virtual double lr(double base_lr, int64_t epoch, int64_t step) const = 0;
};

std::unique_ptr<Schedule> make_schedule(const ScheduleConfig& config);

}  // namespace tandem::optim
