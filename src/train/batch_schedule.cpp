#include "tandem/train/batch_schedule.hpp"

#include "tandem/core/error.hpp"
#include "tandem/core/strings.hpp"

namespace tandem::train {

int64_t BatchSchedule::batch_at(int64_t epoch, int64_t fallback) const {
  int64_t batch = fallback;
  for (const auto& e : entries)
    if (e.epoch <= epoch) batch = e.batch;
  return batch;
}

BatchSchedule parse_batch_schedule(const std::string& text) {
  BatchSchedule s;
  for (const auto& item : split(text, ",")) {
    const auto colon = item.find(':');
    TANDEM_USAGE_CHECK(colon != std::string::npos, "--batch-schedule item '", item,
                       "' is not EPOCH:BATCH; write e.g. 0:256,10:1024,20:4096");
    BatchSchedule::Entry e;
    e.epoch = parse_int(trim(item.substr(0, colon)), "--batch-schedule epoch");
    e.batch = parse_int(trim(item.substr(colon + 1)), "--batch-schedule batch");
    TANDEM_USAGE_CHECK(e.epoch >= 0 && e.batch > 0, "--batch-schedule item '", item,
                       "': the epoch must be >= 0 and the batch positive");
    TANDEM_USAGE_CHECK(s.entries.empty() || e.epoch > s.entries.back().epoch,
                       "--batch-schedule epochs must "
                       "increase: '",
                       item, "' follows epoch ", s.entries.empty() ? 0 : s.entries.back().epoch);
    s.entries.push_back(e);
  }
  return s;
}

std::string format_batch_schedule(const BatchSchedule& s) {
  std::string out;
  for (const auto& e : s.entries)
    out += (out.empty() ? "" : ",") + std::to_string(e.epoch) + ":" + std::to_string(e.batch);
  return out;
}

}  // namespace tandem::train
