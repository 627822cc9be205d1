#pragma once
// Prepares the model inputs of coming micro-batches on a background thread (--prefetch, for
// streamed datasets): their rows read from the file, decoded, augmented and preprocessed as
// DataFeed::gather does, into slots that gather then copies instead of reading. A gather whose
// rows are not the next prepared ones (or that nothing was prepared for) drops what is pending
// and reads as before, so the results never depend on the prefetcher.
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "tandem/data/augment.hpp"
#include "tandem/data/dataset.hpp"
#include "tandem/model/preprocessing.hpp"

namespace tandem::train {

class Prefetcher {
 public:
  // fields: the dataset input feeding each model input; widths: its floats per row. The worker
  // reads through its own copy of the dataset (own file handles) and its own augmenter and
  // preprocessing (copies: both keep scratch).
  Prefetcher(const data::Dataset& d, std::vector<int> fields, std::vector<int64_t> widths, int64_t max_rows,
             int slots, const data::Augmenter& augment, const model::Preprocessing& preprocessing);
  ~Prefetcher();
  Prefetcher(const Prefetcher&) = delete;
  Prefetcher& operator=(const Prefetcher&) = delete;

  // Queues the rows of a coming gather; false (nothing queued) when every slot is taken.
  bool post(std::span<const int64_t> ids, uint32_t epoch);
  // When the oldest queued gather is for exactly these rows and epoch: waits until it is
  // ready, copies input i into out[i] and returns true (rethrowing what the worker threw).
  // Otherwise drops every queued gather and returns false.
  bool take(std::span<const int64_t> ids, uint32_t epoch, std::span<float* const> out);
  // Gathers served from slots, and those that were not: for the log and tests.
  int64_t served() const { return served_; }
  int64_t missed() const { return missed_; }

 private:
  enum class State { kFree, kQueued, kWorking, kReady };
  struct Slot {
    State state = State::kFree;
    std::vector<int64_t> ids;
    int64_t n = 0;
    uint32_t epoch = 0;
    std::vector<std::vector<float>> inputs;  // [model input][max_rows * width]
    std::exception_ptr error;
  };
  void work();
  void prepare(Slot& s);
  void drop_all(std::unique_lock<std::mutex>& lock);

  data::Dataset data_;
  std::vector<int> fields_;
  std::vector<int64_t> widths_;
  data::Augmenter augment_;
  model::Preprocessing preprocessing_;
  std::vector<Slot> slots_;  // a ring: head_ is the oldest queued
  size_t head_ = 0, count_ = 0;
  bool stop_ = false;
  int64_t served_ = 0, missed_ = 0;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::thread worker_;  // last: started once everything above exists
};

}  // namespace tandem::train
