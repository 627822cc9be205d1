#pragma once
// Apportioning classes: how many samples of each class go into each global batch, and how a
// global batch's samples are dealt to the ranks. Both are roundings of proportional shares
// that keep every total exact.
#include <cstdint>
#include <span>
#include <vector>

namespace tandem::data {

// Class counts of every global batch of an epoch, [batches x classes] row-major. Full batches
// come first, the smaller last batch (if any) last. Every entry is the floor or the ceiling of
// batch_size * class_size / N, each row sums to its batch size and each column to its class
// size, so the batches together hold every sample exactly once.
std::vector<int32_t> batch_class_counts(std::span<const int64_t> class_sizes, int64_t batch);

// Deals one global batch to ranks: counts[r][c], samples of class c on rank r, with rows
// summing to the ranks' slice sizes and columns to the batch's class counts. Each count is
// within 1 of the rank's proportional share (slice size * class share of the training split);
// in the rare batch whose own rounding makes that impossible, it is the floor or ceiling of the
// rank's share of the batch's class counts. Buffers are reused: no allocation once warm.
class RankSplitter {
 public:
  explicit RankSplitter(std::span<const int64_t> class_sizes);
  // batch_counts [classes], slice_sizes [ranks]; writes counts [ranks x classes].
  void split(std::span<const int32_t> batch_counts, std::span<const int64_t> slice_sizes,
             std::span<int32_t> counts);

 private:
  // Fills counts between lo_ and hi_ meeting both sums; false if no such matrix exists.
  bool round_within_bounds(std::span<const int32_t> batch_counts, std::span<const int64_t> slice_sizes,
                           std::span<int32_t> counts);
  // Its steps. Every count starts at its floor; false if the floors already overshoot a sum.
  bool start_at_floors(std::span<const int32_t> batch_counts, std::span<const int64_t> slice_sizes,
                       std::span<int32_t> counts);
  // Most of the remaining units go straight in, wherever a rank and a class both need one.
  void fill_greedily(std::span<int32_t> counts);
  // An augmenting path, breadth-first from the ranks that still need units (none: false) to
  // a class that needs one (returned; -1 when there is no path); augment() moves a unit along it.
  bool start_search();
  int search_path(std::span<const int32_t> counts);
  void augment(int found, std::span<int32_t> counts);

  std::vector<int64_t> class_sizes_;
  int64_t total_ = 0;
  std::vector<int32_t> lo_, hi_, row_need_, col_need_, from_row_, from_col_, queue_;
};

// The near-equal split of `count` samples among `ranks`: the first count % ranks get one more.
inline int64_t slice_size(int64_t count, int rank, int ranks) {
  return count / ranks + (rank < count % ranks ? 1 : 0);
}

}  // namespace tandem::data
