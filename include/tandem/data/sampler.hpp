#pragma once
// Turns (seed, epoch) into one global order of the training samples, cut into class-balanced
// global batches, and deals each global batch to the ranks, class-balanced again.
//
// The global order depends on (labels, batch, seed, epoch) only, never on the number of ranks:
// N ranks see exactly the batches one rank sees. In every global batch each class's count is
// the floor or the ceiling of its proportional share; every sample appears once per epoch
// (the smaller last batch included, unless drop_last). Within a batch the samples are grouped
// by class; a rank's share is a contiguous run of each class group (see RankSplitter).
//
// With a curriculum (curriculum.hpp), an epoch uses only the samples available in it: the
// batches, their class counts and their number are those of the available samples, each
// seen once per epoch.
#include <cstdint>
#include <span>
#include <vector>

#include "tandem/data/balance.hpp"
#include "tandem/data/curriculum.hpp"

namespace tandem::data {

class Sampler {
 public:
  // labels: the class of every training sample (non-negative).
  Sampler(std::span<const int32_t> labels, int64_t global_batch, uint64_t seed, bool drop_last = false);

  // Shuffles for an epoch: each class's samples and the order of the full batches are
  // permuted by Philox streams keyed by (seed, epoch).
  void start_epoch(int64_t epoch);
  // Hard-example emphasis: from the next start_epoch on, each class's places in the batches
  // are filled by draws with replacement in proportion to these per-sample weights (see
  // hard_examples.hpp) instead of a permutation. The class counts of every batch, and hence
  // the balance across classes and ranks, stay as they are. Empty: back to permutations.
  void set_emphasis(std::vector<double> weights) { emphasis_ = std::move(weights); }

  // Curriculum learning: from the next start_epoch on, each epoch takes only the samples
  // `curriculum` makes available in it. Not with emphasis. Kept, not owned.
  void set_curriculum(const Curriculum* curriculum);

  int64_t batches() const {
    return drop_last_ ? full_batches_ : static_cast<int64_t>(batch_begin_.size()) - 1;
  }
  int64_t classes() const { return static_cast<int64_t>(class_sizes_.size()); }
  int64_t batch_size(int64_t b) const { return batch_begin_[b + 1] - batch_begin_[b]; }
  // Global batch b of this epoch.
  std::span<const int64_t> batch(int64_t b) const;
  // Samples of each class in global batch b [classes].
  std::span<const int32_t> batch_counts(int64_t b) const;
  // The whole epoch order (all batches, the dropped last one included).
  const std::vector<int64_t>& order() const { return order_; }

  // This rank's share of global batch b: slice_size(batch_size(b), rank, ranks) samples.
  // The span stays valid until the next call.
  std::span<const int64_t> shard(int64_t b, int rank, int ranks);
  // This rank's share of global batch b as k class-balanced micro-batches: the batch is dealt
  // to ranks x k shares and the rank takes shares rank k .. rank k + k - 1, so that one rank
  // with k micro-batches splits a batch exactly as k ranks do. Returns their ids one after
  // the other; bounds (k + 1 offsets into them) say where each starts. Valid until the next call.
  std::span<const int64_t> micro_shards(int64_t b, int rank, int ranks, int64_t k,
                                        std::vector<int64_t>& bounds);

 private:
  std::vector<int64_t> class_sizes_;            // of the samples in use (the curriculum's)
  std::vector<std::vector<int64_t>> by_class_;  // sample ids of each class, in file order
  std::vector<int32_t> counts_;                 // [batches x classes], unshuffled
  std::vector<int32_t> epoch_counts_;           // the same rows in this epoch's batch order
  int64_t batch_ = 0, full_batches_ = 0;
  uint64_t seed_ = 0;
  bool drop_last_ = false;
  std::vector<int64_t> order_, batch_begin_;
  std::vector<double> emphasis_;  // per-sample draw weights, empty: permutations
  const Curriculum* curriculum_ = nullptr;
  int64_t epoch_ = -1;  // the epoch started last
  void lay_out();       // the batches' class counts and bounds for class_sizes_
  void take_available(int64_t epoch);
  std::vector<double> cumulative_;
  // shard() scratch
  RankSplitter splitter_;
  std::vector<int64_t> slice_sizes_;
  std::vector<int32_t> split_;
  std::vector<int64_t> shard_;
  void deal(int64_t b, int64_t shares);         // split_ for `shares` shares of batch b
  void append_share(int64_t b, int64_t share);  // that share's ids onto shard_
  std::vector<int64_t> scratch_;
};

}  // namespace tandem::data
