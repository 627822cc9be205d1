#pragma once
// "--checkpoint-every" values: a number and a unit.
#include <string>

namespace tandem::train {

struct Every {
  enum class Unit { kNever, kSteps, kEpochs, kSeconds } unit = Unit::kNever;
  double amount = 0;
};

// "500steps", "500 steps", "1epoch", "2epochs", "600s", "10min", "0" (never; the last
// checkpoint is still written at the end). UsageError naming the accepted forms otherwise.
Every parse_every(const std::string& text);
// The canonical text of e: "500steps", "1epoch", "600s", "0"; parse_every reads it back.
std::string format_every(const Every& e);

}  // namespace tandem::train
