#include "tandem/data/sampler.hpp"

#include <algorithm>
#include <numeric>

#include "tandem/core/error.hpp"
#include "tandem/core/rng.hpp"

namespace tandem::data {
namespace {

std::vector<int64_t> count_classes(std::span<const int32_t> labels) {
  int32_t top = -1;
  for (int32_t y : labels) {
    TANDEM_CHECK(y >= 0, "sampler: negative label ", y);
    top = std::max(top, y);
  }
  std::vector<int64_t> sizes(static_cast<size_t>(top + 1), 0);
  for (int32_t y : labels) ++sizes[y];
  return sizes;
}

template <class T>
void shuffle(std::vector<T>& v, Philox& rng) {
  for (int64_t i = static_cast<int64_t>(v.size()) - 1; i > 0; --i)
    std::swap(v[i], v[rng.below(static_cast<uint64_t>(i) + 1)]);
}

}  // namespace

Sampler::Sampler(std::span<const int32_t> labels, int64_t global_batch, uint64_t seed, bool drop_last)
    : class_sizes_(count_classes(labels)),
      batch_(global_batch),
      seed_(seed),
      drop_last_(drop_last),
      splitter_(class_sizes_) {
  TANDEM_USAGE_CHECK(global_batch > 0, "the batch size must be positive, got ", global_batch);
  const int64_t n = static_cast<int64_t>(labels.size());
  by_class_.resize(class_sizes_.size());
  for (size_t c = 0; c < class_sizes_.size(); ++c) by_class_[c].reserve(class_sizes_[c]);
  for (int64_t i = 0; i < n; ++i) by_class_[labels[i]].push_back(i);
  lay_out();
  start_epoch(0);
}

void Sampler::lay_out() {
  int64_t n = 0;
  for (int64_t size : class_sizes_) n += size;
  counts_ = batch_class_counts(class_sizes_, batch_);
  full_batches_ = n / batch_;
  const int64_t rows = classes() > 0 ? static_cast<int64_t>(counts_.size()) / classes() : 0;
  batch_begin_.assign(rows + 1, 0);
  for (int64_t b = 0; b < rows; ++b) batch_begin_[b + 1] = batch_begin_[b] + std::min(batch_, n - b * batch_);
  order_.resize(n);
  epoch_counts_.resize(counts_.size());
  splitter_ = RankSplitter(class_sizes_);
}

void Sampler::set_curriculum(const Curriculum* curriculum) {
  TANDEM_CHECK(curriculum && curriculum->classes() == classes(), "sampler: a curriculum of ",
               curriculum ? curriculum->classes() : 0, " classes for labels of ", classes());
  curriculum_ = curriculum;
  epoch_ = -1;  // take its samples at the next start_epoch, whatever their counts
}

void Sampler::take_available(int64_t epoch) {
  // Each class's easiest samples of the epoch, in id order; the layout of the batches only
  // when the counts change (at most once per epoch).
  auto sizes = curriculum_->class_sizes(epoch);
  if (sizes == class_sizes_ && epoch_ >= 0) return;
  for (int64_t c = 0; c < classes(); ++c) {
    const auto& ranked = curriculum_->ranked(c);
    by_class_[c].assign(ranked.begin(), ranked.begin() + sizes[c]);
    std::sort(by_class_[c].begin(), by_class_[c].end());
  }
  class_sizes_ = std::move(sizes);
  lay_out();
}

void Sampler::start_epoch(int64_t epoch) {
  TANDEM_CHECK(!curriculum_ || emphasis_.empty(), "sampler: hard-example emphasis and a curriculum together");
  if (curriculum_) take_available(epoch);
  epoch_ = epoch;
  const int64_t classes = this->classes();
  const auto e = static_cast<uint32_t>(epoch);
  // Which full batch comes when: a permutation, so class extras land in random batches.
  scratch_.resize(full_batches_);
  std::iota(scratch_.begin(), scratch_.end(), 0);
  Philox batch_rng(seed_, RngPurpose::kShuffle, e, 0);
  shuffle(scratch_, batch_rng);
  const int64_t rows = static_cast<int64_t>(batch_begin_.size()) - 1;
  for (int64_t b = 0; b < rows; ++b) {
    const int64_t src = b < full_batches_ ? scratch_[b] : b;
    std::copy_n(counts_.begin() + src * classes, classes, epoch_counts_.begin() + b * classes);
  }
  // Each class in a fresh order, dealt to the batches in turn.
  std::vector<int64_t> next(classes, 0);
  std::vector<std::vector<int64_t>> drawn(emphasis_.empty() ? 0 : classes);
  for (int64_t c = 0; c < classes; ++c) {
    if (!emphasis_.empty()) {
      // n_c draws with replacement, P(i) proportional to its weight (inverse CDF).
      Philox rng(seed_, RngPurpose::kShuffle, e, static_cast<uint32_t>(c) + 1, 1);
      const auto& ids = by_class_[c];
      cumulative_.resize(ids.size());
      double total = 0;
      for (size_t i = 0; i < ids.size(); ++i) cumulative_[i] = total += emphasis_[ids[i]];
      for (size_t i = 0; i < ids.size(); ++i) {
        const double u = (static_cast<double>(rng.next_u32()) + 0.5) / 4294967296.0 * total;
        const auto at = std::upper_bound(cumulative_.begin(), cumulative_.end(), u) - cumulative_.begin();
        drawn[c].push_back(ids[std::min<size_t>(at, ids.size() - 1)]);
      }
      continue;
    }
    Philox rng(seed_, RngPurpose::kShuffle, e, static_cast<uint32_t>(c) + 1);
    shuffle(by_class_[c], rng);
  }
  int64_t pos = 0;
  for (int64_t b = 0; b < rows; ++b)
    for (int64_t c = 0; c < classes; ++c) {
      const int32_t take = epoch_counts_[b * classes + c];
      const auto& source = emphasis_.empty() ? by_class_[c] : drawn[c];
      std::copy_n(source.begin() + next[c], take, order_.begin() + pos);
      next[c] += take;
      pos += take;
    }
  // Keep the per-class lists in file order so an epoch's shuffle depends on (seed, epoch) only.
  for (auto& ids : by_class_) std::sort(ids.begin(), ids.end());
}

std::span<const int64_t> Sampler::batch(int64_t b) const {
  TANDEM_ASSERT(b >= 0 && b < static_cast<int64_t>(batch_begin_.size()) - 1, "batch ", b, " out of range");
  return {order_.data() + batch_begin_[b], static_cast<size_t>(batch_size(b))};
}

std::span<const int32_t> Sampler::batch_counts(int64_t b) const {
  return {epoch_counts_.data() + b * classes(), static_cast<size_t>(classes())};
}

void Sampler::deal(int64_t b, int64_t shares) {
  slice_sizes_.resize(static_cast<size_t>(shares));
  for (int64_t r = 0; r < shares; ++r)
    slice_sizes_[r] = slice_size(batch_size(b), static_cast<int>(r), static_cast<int>(shares));
  split_.resize(static_cast<size_t>(shares * classes()));
  splitter_.split(batch_counts(b), slice_sizes_, split_);
}

std::span<const int64_t> Sampler::shard(int64_t b, int rank, int ranks) {
  TANDEM_ASSERT(ranks > 0 && rank >= 0 && rank < ranks, "shard: rank ", rank, " of ", ranks);
  deal(b, ranks);
  shard_.clear();
  append_share(b, rank);
  return shard_;
}

std::span<const int64_t> Sampler::micro_shards(int64_t b, int rank, int ranks, int64_t k,
                                               std::vector<int64_t>& bounds) {
  TANDEM_ASSERT(ranks > 0 && rank >= 0 && rank < ranks && k >= 1, "micro_shards: rank ", rank, " of ", ranks,
                ", ", k, " micro-batches");
  deal(b, ranks * k);
  shard_.clear();
  bounds.resize(static_cast<size_t>(k + 1));
  bounds[0] = 0;
  for (int64_t m = 0; m < k; ++m) {
    append_share(b, rank * k + m);
    bounds[m + 1] = static_cast<int64_t>(shard_.size());
  }
  return shard_;
}

void Sampler::append_share(int64_t b, int64_t share) {
  const int64_t classes = this->classes();
  const auto counts = batch_counts(b);
  const int64_t* group = order_.data() + batch_begin_[b];  // class c's group starts here
  for (int64_t c = 0; c < classes; ++c) {
    int64_t skip = 0;
    for (int64_t r = 0; r < share; ++r) skip += split_[r * classes + c];
    shard_.insert(shard_.end(), group + skip, group + skip + split_[share * classes + c]);
    group += counts[c];
  }
}

}  // namespace tandem::data
