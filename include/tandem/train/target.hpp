#pragma once
// Training to a target (Shallue et al. 2019, "steps to result"): the run ends at the first
// step whose validation (or test) metric reaches the target. The metric is checked at steps
// 1, 2, ..., then each at least 5% after the previous one, so the steps to the target are known
// within 5% at a cost logarithmic in the steps.
#include <cstdint>
#include <string>

#include "tandem/train/config.hpp"

namespace tandem::train {

// "val_accuracy=0.88", "val_loss=0.35"; "" is none. UsageError naming --target otherwise.
Target parse_target(const std::string& text);
std::string format_target(const Target& target);

class TargetWatch {
 public:
  // tolerance: the largest relative gap between two checks (0.05: steps known within 5%).
  explicit TargetWatch(const Target& target, double tolerance = 0.05)
      : target_(target), tolerance_(tolerance) {}
  // Whether to check after global step `step` (1-based); advances the cadence.
  bool due(int64_t step);
  bool reached(double value) const;
  const Target& target() const { return target_; }

 private:
  Target target_;
  double tolerance_;
  int64_t next_ = 1;
};

// Where a run met its target.
struct TargetResult {
  bool reached = false;
  int64_t step = 0;     // global steps
  double epochs = 0;    // epochs, fractional
  int64_t samples = 0;  // training samples processed
  double seconds = 0;   // wall time of training since the run began (evaluations included)
  double value = 0;     // the metric when it was met
};

}  // namespace tandem::train
