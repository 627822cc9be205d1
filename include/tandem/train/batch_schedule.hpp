#pragma once
// Batch-size schedules (Smith, Kindermans, Ying, Le 2018: increase the batch instead of
// decaying the learning rate): "EPOCH:BATCH,..." sets the global batch from each listed epoch
// on, e.g. "0:256,10:1024,20:4096". The batch changes only at epoch boundaries.
#include <cstdint>
#include <string>
#include <vector>

namespace tandem::train {

struct BatchSchedule {
  struct Entry {
    int64_t epoch = 0;  // 0-based, the first epoch with this batch
    int64_t batch = 0;  // global batch of a step
  };
  std::vector<Entry> entries;  // ascending epochs; empty: no schedule

  bool empty() const { return entries.empty(); }
  // The global batch of `epoch`: the last entry at or before it, else `fallback`.
  int64_t batch_at(int64_t epoch, int64_t fallback) const;
  bool operator==(const BatchSchedule&) const = default;
};

// "0:256,10:1024"; "" is no schedule. UsageError naming --batch-schedule and the fix.
BatchSchedule parse_batch_schedule(const std::string& text);
// The canonical text; parse_batch_schedule reads it back.
std::string format_batch_schedule(const BatchSchedule& schedule);

}  // namespace tandem::train
