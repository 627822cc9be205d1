#pragma once
// Decisions taken on a monitored metric after each epoch: which model is the best, when to
// stop early (restoring the best weights), when to lower the learning rate. after_epoch is pure
// logic on the sequence of values, tested on crafted sequences; EpochCallbacks applies it to a
// run and owns what it needs to survive a resume (its counters and the best weights).
#include <cstdint>
#include <string>
#include <vector>

#include "tandem/graph/graph.hpp"
#include "tandem/io/checkpoint.hpp"
#include "tandem/train/config.hpp"

namespace tandem::train {

// A metric and its direction: *_loss is minimized, *_accuracy maximized.
class Monitor {
 public:
  explicit Monitor(Metric metric);  // not Metric::kAuto
  // By name (val_loss, val_accuracy, train_loss, ...); UsageError for an unknown one.
  explicit Monitor(const std::string& name);
  Metric metric() const { return metric_; }
  std::string name() const { return enum_name(metric_); }
  bool minimize() const { return minimize_; }
  // True when `value` beats `best` by more than min_delta (any value beats "no best yet").
  bool improves(double value, double best, bool have_best, double min_delta) const;

 private:
  Metric metric_;
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

// The callbacks of one run. With early stopping on, it keeps a copy of the parameters and
// batch-norm statistics of the best epoch, restores them when it stops, and saves them in
// checkpoints (/run/best_params, /run/best_state) so that a resumed run restores the same.
class EpochCallbacks {
 public:
  EpochCallbacks(Metric metric, const TrainConfig& config);
  const Monitor& monitor() const { return monitor_; }
  const PlateauState& state() const { return state_; }
  double lr_scale() const { return lr_scale_; }  // product of the plateau cuts so far

  // After epoch `epoch` (1-based) whose monitored value is `value`, with the model's graph in
  // its end-of-epoch state; restores the best weights into it when early stopping fires.
  EpochDecision after(int64_t epoch, double value, graph::Graph& graph);

  // Checkpoint state: counters into progress, the best weights into arrays (views of this
  // object's copies: keep it alive while the arrays are written).
  void save(io::TrainProgress& progress, std::vector<io::RunArray>& arrays) const;
  void restore(const io::TrainProgress& progress, const std::string& checkpoint, const graph::Graph& graph);

 private:
  Monitor monitor_;
  CallbackConfig config_;
  double plateau_factor_;
  PlateauState state_;
  double lr_scale_ = 1.0;
  std::vector<float> best_params_, best_state_;  // with early stopping: the best epoch's
};

}  // namespace tandem::train
