#pragma once
// Decisions taken on a monitored metric after each epoch: which checkpoint is the best, when
// to stop early, when to lower the learning rate. Pure logic on the sequence of values, so it
// is tested on crafted sequences and saved in checkpoints as plain numbers.
#include <cstdint>
#include <string>

namespace tandem::train {

// A metric and its direction: *_loss is minimized, *_accuracy maximized.
class Monitor {
 public:
  // name: val_loss, val_accuracy, train_loss, train_accuracy, test_loss, test_accuracy.
  explicit Monitor(const std::string& name);
  const std::string& name() const { return name_; }
  bool minimize() const { return minimize_; }
  // True when `value` beats `best` by more than min_delta (any value beats "no best yet").
  bool improves(double value, double best, bool have_best, double min_delta) const;

 private:
  std::string name_;
  bool minimize_ = true;
};

// Counts epochs without improvement; shared by early stopping and reduce-on-plateau.
struct PlateauState {
  double best = 0;
  int64_t best_epoch = 0;  // 1-based; 0 when none yet
  int64_t bad_epochs = 0;  // since the last improvement (or the last learning-rate cut)
};

struct EpochDecision {
  bool improved = false;  // a new best: keep best weights / best.h5
  bool stop = false;      // early stopping: patience exhausted
  bool cut_lr = false;    // reduce-on-plateau: multiply the learning rate by the factor
};

struct CallbackConfig {
  double min_delta = 0;
  int64_t early_stop_patience = 0;  // 0: off
  int64_t plateau_patience = 0;     // 0: off
};

// Updates `state` with epoch `epoch`'s value and says what to do.
EpochDecision after_epoch(const Monitor& monitor, const CallbackConfig& config, PlateauState& state,
                          int64_t epoch, double value);

}  // namespace tandem::train
