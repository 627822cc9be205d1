#include "tandem/train/prefetch.hpp"

#include <algorithm>

#include "tandem/core/error.hpp"
#include "tandem/tensor/kernels.hpp"

namespace tandem::train {

Prefetcher::Prefetcher(const data::Dataset& d, std::vector<int> fields, std::vector<int64_t> widths,
                       int64_t max_rows, int slots, const data::Augmenter& augment,
                       const model::Preprocessing& preprocessing)
    : data_(d.with_own_readers()),
      fields_(std::move(fields)),
      widths_(std::move(widths)),
      augment_(augment),
      preprocessing_(preprocessing),
      slots_(static_cast<size_t>(std::max(slots, 1))) {
  TANDEM_ASSERT(fields_.size() == widths_.size() && !fields_.empty(), "Prefetcher: one width per input");
  for (auto& s : slots_) {  // all memory now: none in a steady step
    s.ids.resize(static_cast<size_t>(max_rows));
    for (int64_t w : widths_) s.inputs.emplace_back(static_cast<size_t>(max_rows * w));
  }
  worker_ = std::thread([this] { work(); });
}

Prefetcher::~Prefetcher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  worker_.join();
}

bool Prefetcher::post(std::span<const int64_t> ids, uint32_t epoch) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (count_ == slots_.size() || ids.size() > slots_[0].ids.size()) return false;
  Slot& s = slots_[(head_ + count_) % slots_.size()];
  std::copy(ids.begin(), ids.end(), s.ids.begin());
  s.n = static_cast<int64_t>(ids.size());
  s.epoch = epoch;
  s.error = nullptr;
  s.state = State::kQueued;
  ++count_;
  lock.unlock();
  changed_.notify_all();
  return true;
}

bool Prefetcher::take(std::span<const int64_t> ids, uint32_t epoch, std::span<float* const> out) {
  std::unique_lock<std::mutex> lock(mutex_);
  const auto n = static_cast<int64_t>(ids.size());
  if (count_ > 0) {
    Slot& s = slots_[head_];
    if (s.n == n && s.epoch == epoch && std::equal(ids.begin(), ids.end(), s.ids.begin())) {
      changed_.wait(lock, [&] { return s.state == State::kReady; });
      if (s.error) {
        const auto error = s.error;
        drop_all(lock);
        std::rethrow_exception(error);
      }
      for (size_t i = 0; i < out.size(); ++i) kernels::copy(s.inputs[i].data(), out[i], n * widths_[i]);
      s.state = State::kFree;
      head_ = (head_ + 1) % slots_.size();
      --count_;
      ++served_;
      lock.unlock();
      changed_.notify_all();
      return true;
    }
  }
  drop_all(lock);
  ++missed_;
  return false;
}

// Waits for a slot the worker is filling, then frees every slot.
void Prefetcher::drop_all(std::unique_lock<std::mutex>& lock) {
  changed_.wait(lock, [&] {
    return std::none_of(slots_.begin(), slots_.end(),
                        [](const Slot& s) { return s.state == State::kWorking; });
  });
  for (auto& s : slots_) s.state = State::kFree;
  head_ = count_ = 0;
}

void Prefetcher::work() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    Slot* next = nullptr;
    changed_.wait(lock, [&] {
      for (size_t k = 0; k < count_ && !next; ++k) {
        Slot& s = slots_[(head_ + k) % slots_.size()];
        if (s.state == State::kQueued) next = &s;
      }
      return stop_ || next;
    });
    if (stop_) return;
    next->state = State::kWorking;
    lock.unlock();
    prepare(*next);
    lock.lock();
    next->state = State::kReady;
    changed_.notify_all();
  }
}

// What DataFeed::gather does to the inputs: rows, then the first input augmented and
// preprocessed. Errors are kept for take() to rethrow on the training thread.
void Prefetcher::prepare(Slot& s) {
  try {
    for (size_t i = 0; i < fields_.size(); ++i)
      data_.input_rows(fields_[i], s.ids.data(), 0, s.n, s.inputs[i].data());
    augment_.apply(s.inputs[0].data(), s.ids.data(), s.n, s.epoch);
    preprocessing_.apply(s.inputs[0].data(), s.n);
  } catch (...) {
    s.error = std::current_exception();
  }
}

}  // namespace tandem::train
