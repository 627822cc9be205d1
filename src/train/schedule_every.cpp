#include "tandem/train/schedule_every.hpp"

#include <cmath>
#include <cstdlib>

#include "tandem/core/error.hpp"
#include "tandem/core/strings.hpp"

namespace tandem::train {

Every parse_every(const std::string& text) {
  const char* begin = text.c_str();
  char* end = nullptr;
  const double n = std::strtod(begin, &end);
  std::string unit(end);
  while (!unit.empty() && unit.front() == ' ') unit.erase(unit.begin());
  Every e;
  e.amount = n;
  if (end == begin || !(n >= 0)) unit = "?";
  if (n == 0 && unit.empty()) return e;
  if (unit == "step" || unit == "steps")
    e.unit = Every::Unit::kSteps;
  else if (unit == "epoch" || unit == "epochs")
    e.unit = Every::Unit::kEpochs;
  else if (unit == "s" || unit == "sec")
    e.unit = Every::Unit::kSeconds;
  else if (unit == "min") {
    e.unit = Every::Unit::kSeconds;
    e.amount = n * 60;
  } else {
    throw UsageError("--checkpoint-every '" + text +
                     "' is not understood; use e.g. 500steps, 1epoch, 600s, 10min, or 0 (only at the end)");
  }
  TANDEM_USAGE_CHECK(e.amount > 0, "--checkpoint-every '", text,
                     "' must be positive (or 0 for only at the end)");
  const bool counted = e.unit == Every::Unit::kSteps || e.unit == Every::Unit::kEpochs;
  TANDEM_USAGE_CHECK(!counted || e.amount == std::floor(e.amount), "--checkpoint-every '", text,
                     "' must count whole steps or epochs");
  return e;
}

std::string format_every(const Every& e) {
  switch (e.unit) {
    case Every::Unit::kNever: return "0";
    case Every::Unit::kSteps: return format_number(e.amount) + "steps";
    case Every::Unit::kEpochs: return format_number(e.amount) + (e.amount == 1 ? "epoch" : "epochs");
    case Every::Unit::kSeconds: return format_number(e.amount) + "s";
  }
  return "0";
}

}  // namespace tandem::train
