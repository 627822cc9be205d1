#pragma once
// --on-nonfinite and its settings (NonfiniteGuard carries them out).
#include <cstdint>
#include <span>

#include "tandem/core/enum_names.hpp"

namespace tandem::train {

enum class OnNonfinite { kAbort, kSkip, kRollback };
inline constexpr EnumName<OnNonfinite> kOnNonfiniteNames[] = {
    {OnNonfinite::kAbort, "abort",
     "stop the run, naming the step, the epoch and any sample with non-finite inputs"},
    {OnNonfinite::kSkip, "skip",
     "drop the step (no update; batch-norm statistics restored), counted in the metrics"},
    {OnNonfinite::kRollback, "rollback",
     "return to the last good state (every --rollback-every steps) and multiply the rate by "
     "--rollback-lr-factor"},
};
constexpr std::span<const EnumName<OnNonfinite>> enum_names(OnNonfinite) {
  return kOnNonfiniteNames;
}

struct NonfiniteOptions {
  OnNonfinite policy = OnNonfinite::kAbort;
  double rollback_lr_factor = 0.5;
  int64_t rollback_every = 100;    // steps between snapshots of the good state
  int64_t max_rollbacks = 5;       // over the whole run
  int64_t max_skipped_steps = 20;  // in a row
};

}  // namespace tandem::train
