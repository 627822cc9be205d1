#include "tandem/train/target.hpp"

#include <cmath>

#include "tandem/core/error.hpp"
#include "tandem/core/strings.hpp"

namespace tandem::train {

Target parse_target(const std::string& text) {
  Target t;
  if (text.empty()) return t;
  const auto eq = text.find('=');
  TANDEM_USAGE_CHECK(eq != std::string::npos, "--target '", text,
                     "' is not METRIC=VALUE; e.g. val_accuracy=0.88");
  t.metric = parse_enum<Metric>(text.substr(0, eq), "--target metric");
  t.value = parse_double(text.substr(eq + 1), "--target value");
  TANDEM_USAGE_CHECK(
      t.metric != Metric::kAuto && t.metric != Metric::kTrainLoss && t.metric != Metric::kTrainAccuracy,
      "--target needs a metric evaluated exactly at any step: val_accuracy, val_loss, "
      "test_accuracy or test_loss, got '",
      text.substr(0, eq), "'");
  return t;
}

std::string format_target(const Target& t) {
  return t.active() ? enum_name(t.metric) + "=" + format_number(t.value) : std::string();
}

bool TargetWatch::due(int64_t step) {
  if (step < next_) return false;
  // The target may be met anywhere in (step, next]: reporting `next` overstates it by at most
  // next / (step + 1) <= 1 + tolerance.
  next_ =
      std::max(step + 1, static_cast<int64_t>(std::floor(static_cast<double>(step + 1) * (1 + tolerance_))));
  return true;
}

bool TargetWatch::reached(double value) const {
  const bool accuracy = target_.metric == Metric::kValAccuracy || target_.metric == Metric::kTestAccuracy;
  return accuracy ? value >= target_.value : value <= target_.value;
}

}  // namespace tandem::train
