#include "tandem/data/balance.hpp"

#include <algorithm>
#include <numeric>

#include "tandem/core/error.hpp"

namespace tandem::data {

std::vector<int32_t> batch_class_counts(std::span<const int64_t> class_sizes, int64_t batch) {
  TANDEM_CHECK(batch > 0, "batch size must be positive, got ", batch);
  const int64_t classes = static_cast<int64_t>(class_sizes.size());
  const int64_t n = std::accumulate(class_sizes.begin(), class_sizes.end(), int64_t{0});
  if (n == 0) return {};
  const int64_t full = n / batch, last = n - full * batch;
  // A full batch gives class c floor(batch * share) and `extra` of the classes one more.
  std::vector<int64_t> floor_full(classes), last_counts(classes), last_rem(classes);
  for (int64_t c = 0; c < classes; ++c) {
    floor_full[c] = batch * class_sizes[c] / n;
    last_counts[c] = last * class_sizes[c] / n;
    last_rem[c] = last * class_sizes[c] % n;
  }
  // The last batch: largest remainders take the ceilings (ties to the lower class index).
  int64_t last_missing = last - std::accumulate(last_counts.begin(), last_counts.end(), int64_t{0});
  std::vector<int64_t> by_rem(classes);
  std::iota(by_rem.begin(), by_rem.end(), 0);
  std::stable_sort(by_rem.begin(), by_rem.end(),
                   [&](int64_t a, int64_t b) { return last_rem[a] > last_rem[b]; });
  for (int64_t i = 0; i < last_missing; ++i) ++last_counts[by_rem[i]];

  const int64_t rows = full + (last > 0 ? 1 : 0);
  std::vector<int32_t> counts(rows * classes);
  for (int64_t b = 0; b < full; ++b)
    for (int64_t c = 0; c < classes; ++c) counts[b * classes + c] = static_cast<int32_t>(floor_full[c]);
  // Class c still owes `extra` samples to the full batches (at most one per batch); dealing
  // them round-robin over the batches gives every full batch exactly its missing ones.
  int64_t slot = 0;
  for (int64_t c = 0; c < classes; ++c) {
    const int64_t extra = class_sizes[c] - full * floor_full[c] - last_counts[c];
    TANDEM_ASSERT(extra >= 0 && extra <= full, "class apportionment failed (class ", c, ", extra ", extra,
                  ")");
    for (int64_t e = 0; e < extra; ++e, ++slot) ++counts[(slot % full) * classes + c];
  }
  if (last > 0)
    for (int64_t c = 0; c < classes; ++c) counts[full * classes + c] = static_cast<int32_t>(last_counts[c]);
  return counts;
}

RankSplitter::RankSplitter(std::span<const int64_t> class_sizes)
    : class_sizes_(class_sizes.begin(), class_sizes.end()),
      total_(std::accumulate(class_sizes.begin(), class_sizes.end(), int64_t{0})) {}

void RankSplitter::split(std::span<const int32_t> batch_counts, std::span<const int64_t> slice_sizes,
                         std::span<int32_t> counts) {
  const size_t ranks = slice_sizes.size(), classes = batch_counts.size();
  TANDEM_ASSERT(classes == class_sizes_.size() && counts.size() == ranks * classes,
                "RankSplitter: mismatched sizes");
  lo_.resize(ranks * classes);
  hi_.resize(ranks * classes);
  // Bounds: the floor and ceiling of slice * class share of the training split...
  for (size_t r = 0; r < ranks; ++r)
    for (size_t c = 0; c < classes; ++c) {
      const int64_t num = slice_sizes[r] * class_sizes_[c];
      lo_[r * classes + c] = static_cast<int32_t>(num / total_);
      hi_[r * classes + c] = static_cast<int32_t>(num / total_ + (num % total_ ? 1 : 0));
    }
  if (round_within_bounds(batch_counts, slice_sizes, counts)) return;
  // ...or, when the batch's own rounding rules that out, of slice * class share of the batch,
  // which always has a solution (a proportional matrix with integer margins can be rounded).
  const int64_t batch = std::accumulate(slice_sizes.begin(), slice_sizes.end(), int64_t{0});
  for (size_t r = 0; r < ranks; ++r)
    for (size_t c = 0; c < classes; ++c) {
      const int64_t num = slice_sizes[r] * batch_counts[c];
      lo_[r * classes + c] = static_cast<int32_t>(num / batch);
      hi_[r * classes + c] = static_cast<int32_t>(num / batch + (num % batch ? 1 : 0));
    }
  TANDEM_ASSERT(round_within_bounds(batch_counts, slice_sizes, counts),
                "RankSplitter: no rounding of the batch's class counts (internal error)");
}

bool RankSplitter::round_within_bounds(std::span<const int32_t> batch_counts,
                                       std::span<const int64_t> slice_sizes, std::span<int32_t> counts) {
  if (!start_at_floors(batch_counts, slice_sizes, counts)) return false;
  fill_greedily(counts);  // greedy first: most of the remaining units go straight in
  // Then augmenting paths (rank -> class with room, class -> rank holding more than its floor)
  // move the rest: a bipartite flow, found breadth-first.
  while (start_search()) {
    const int found = search_path(counts);
    if (found < 0) return false;
    augment(found, counts);
  }
  return true;
}

bool RankSplitter::start_at_floors(std::span<const int32_t> batch_counts,
                                   std::span<const int64_t> slice_sizes, std::span<int32_t> counts) {
  const int ranks = static_cast<int>(slice_sizes.size()), classes = static_cast<int>(batch_counts.size());
  auto at = [classes](int r, int c) { return static_cast<size_t>(r) * classes + c; };
  row_need_.assign(ranks, 0);
  col_need_.assign(classes, 0);
  for (int r = 0; r < ranks; ++r) row_need_[r] = static_cast<int32_t>(slice_sizes[r]);
  for (int c = 0; c < classes; ++c) col_need_[c] = batch_counts[c];
  for (int r = 0; r < ranks; ++r)
    for (int c = 0; c < classes; ++c) {
      counts[at(r, c)] = lo_[at(r, c)];
      row_need_[r] -= lo_[at(r, c)];
      col_need_[c] -= lo_[at(r, c)];
    }
  for (int32_t v : row_need_)
    if (v < 0) return false;
  for (int32_t v : col_need_)
    if (v < 0) return false;
  return true;
}

void RankSplitter::fill_greedily(std::span<int32_t> counts) {
  const int ranks = static_cast<int>(row_need_.size()), classes = static_cast<int>(col_need_.size());
  auto at = [classes](int r, int c) { return static_cast<size_t>(r) * classes + c; };
  for (int r = 0; r < ranks; ++r)
    for (int c = 0; c < classes && row_need_[r] > 0; ++c)
      if (col_need_[c] > 0 && counts[at(r, c)] < hi_[at(r, c)]) {
        ++counts[at(r, c)];
        --row_need_[r];
        --col_need_[c];
      }
}

bool RankSplitter::start_search() {
  const int ranks = static_cast<int>(row_need_.size()), classes = static_cast<int>(col_need_.size());
  from_row_.assign(ranks, -2);  // -2 unreached, -1 a start, else the class it was reached from
  from_col_.assign(classes, -1);
  queue_.clear();
  for (int r = 0; r < ranks; ++r)
    if (row_need_[r] > 0) {
      from_row_[r] = -1;
      queue_.push_back(r);
    }
  return !queue_.empty();
}

int RankSplitter::search_path(std::span<const int32_t> counts) {
  const int ranks = static_cast<int>(row_need_.size()), classes = static_cast<int>(col_need_.size());
  auto at = [classes](int r, int c) { return static_cast<size_t>(r) * classes + c; };
  int found = -1;
  for (size_t head = 0; head < queue_.size() && found < 0; ++head) {
    const int r = queue_[head];
    for (int c = 0; c < classes && found < 0; ++c) {
      if (from_col_[c] >= 0 || counts[at(r, c)] >= hi_[at(r, c)]) continue;
      from_col_[c] = r;
      if (col_need_[c] > 0) {
        found = c;
        break;
      }
      for (int r2 = 0; r2 < ranks; ++r2)
        if (from_row_[r2] == -2 && counts[at(r2, c)] > lo_[at(r2, c)]) {
          from_row_[r2] = c;
          queue_.push_back(r2);
        }
    }
  }
  return found;
}

void RankSplitter::augment(int found, std::span<int32_t> counts) {
  const int classes = static_cast<int>(col_need_.size());
  auto at = [classes](int r, int c) { return static_cast<size_t>(r) * classes + c; };
  --col_need_[found];
  for (int c = found;;) {
    const int r = from_col_[c];
    ++counts[at(r, c)];
    const int prev = from_row_[r];
    if (prev == -1) {
      --row_need_[r];
      break;
    }
    --counts[at(r, prev)];
    c = prev;
  }
}

}  // namespace tandem::data
