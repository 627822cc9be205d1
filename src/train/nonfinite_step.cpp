// The trainer's side of --on-nonfinite: what to say about the step and its inputs, and the
// guard's verdict (NonfiniteGuard).
#include <cmath>
#include <limits>

#include "tandem/core/log.hpp"
#include "tandem/train/trainer.hpp"

namespace tandem::train {

std::string Trainer::nonfinite_inputs(std::span<const int64_t> ids) {
  // Only after a bad step: reading the rows again costs nothing a healthy run pays.
  auto first_bad = std::numeric_limits<uint64_t>::max();
  int bad_input = 0;
  std::vector<float> rows;
  for (int i = 0;
       i < static_cast<int>(train_.inputs().size()) && first_bad == std::numeric_limits<uint64_t>::max();
       ++i) {
    const int64_t width = train_.inputs()[i].width(), n = static_cast<int64_t>(ids.size());
    rows.resize(static_cast<size_t>(n * width));
    train_.input_rows(i, ids.data(), 0, n, rows.data());
    for (int64_t r = 0; r < n && first_bad == std::numeric_limits<uint64_t>::max(); ++r)
      for (int64_t k = 0; k < width; ++k)
        if (!std::isfinite(rows[r * width + k])) {
          first_bad = static_cast<uint64_t>(ids[r]), bad_input = i;
          break;
        }
  }
  // The row and which input, from every rank: the message is the same on all of them.
  constexpr uint64_t kInputs = 256;
  const auto none = std::numeric_limits<uint64_t>::max();
  const auto all =
      comm_.allgather(first_bad == none ? none : first_bad * kInputs + static_cast<uint64_t>(bad_input));
  for (size_t rank = 0; rank < all.size(); ++rank)
    if (all[rank] != none)
      return "; training row " + std::to_string(all[rank] / kInputs) + " (rank " + std::to_string(rank) +
             "'s share) has non-finite values in " +
             train_.where(train_.inputs()[static_cast<size_t>(all[rank] % kInputs)], true);
  return "";
}

void Trainer::after_nonfinite_step(std::span<const int64_t> ids, int64_t epoch) {
  const auto where =
      "global step " + std::to_string(progress_.global_step) + " (epoch " + std::to_string(epoch + 1) + ")";
  const auto line = guard_->bad_step(where, nonfinite_inputs(ids));
  if (comm_.is_root()) log::warnf(line);
}

}  // namespace tandem::train
