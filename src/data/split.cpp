#include "tandem/data/split.hpp"

#include <algorithm>
#include <cmath>

#include "tandem/core/error.hpp"
#include "tandem/core/rng.hpp"
#include "tandem/data/balance.hpp"

namespace tandem::data {

SplitIds stratified_split(std::span<const int32_t> labels, double fraction, uint64_t seed) {
  TANDEM_USAGE_CHECK(fraction >= 0.0 && fraction < 1.0, "--val-split must be in [0, 1), got ", fraction);
  const auto n = static_cast<int64_t>(labels.size());
  SplitIds out;
  const auto val_total = static_cast<int64_t>(std::llround(fraction * static_cast<double>(n)));
  if (val_total == 0) {
    TANDEM_USAGE_CHECK(fraction == 0.0, "--val-split ", fraction, " of ", n,
                       " training samples is an empty validation set; raise --val-split");
    out.train.resize(n);
    for (int64_t i = 0; i < n; ++i) out.train[i] = i;
    return out;
  }
  TANDEM_USAGE_CHECK(val_total < n, "--val-split ", fraction, " leaves no training samples");
  int32_t top = -1;
  for (int32_t y : labels) top = std::max(top, y);
  std::vector<std::vector<int64_t>> by_class(static_cast<size_t>(top + 1));
  for (int64_t i = 0; i < n; ++i) by_class[labels[i]].push_back(i);
  std::vector<int64_t> sizes;
  for (const auto& ids : by_class) sizes.push_back(static_cast<int64_t>(ids.size()));
  // The first "batch" of val_total samples is exactly a proportional apportionment.
  const auto per_class = batch_class_counts(sizes, val_total);
  for (size_t c = 0; c < by_class.size(); ++c) {
    auto& ids = by_class[c];
    Philox rng(seed, RngPurpose::kSplit, static_cast<uint32_t>(c));
    for (int64_t i = static_cast<int64_t>(ids.size()) - 1; i > 0; --i)
      std::swap(ids[i], ids[rng.below(static_cast<uint64_t>(i) + 1)]);
    out.val.insert(out.val.end(), ids.begin(), ids.begin() + per_class[c]);
    out.train.insert(out.train.end(), ids.begin() + per_class[c], ids.end());
  }
  std::sort(out.val.begin(), out.val.end());
  std::sort(out.train.begin(), out.train.end());
  return out;
}

}  // namespace tandem::data
