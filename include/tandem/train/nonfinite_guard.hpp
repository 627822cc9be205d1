#pragma once
// --on-nonfinite: what a run does with a step whose loss or synchronized gradient is not finite.
// The step itself has already been agreed on by every rank (StepRunner) and made no update, so
// every rank reaches the same branch here:
//   abort     the run stops, naming the step, the epoch and any sample whose inputs are at fault;
//   skip      the step is dropped: batch-norm statistics its forward pass moved are put back;
//   rollback  parameters, optimizer state and statistics return to the last good snapshot
//             (taken every --rollback-every steps) and the learning rate is multiplied by
//             --rollback-lr-factor.
// skip gives up after --max-skipped-steps steps in a row, rollback after --max-rollbacks.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tandem/graph/graph.hpp"
#include "tandem/io/checkpoint.hpp"
#include "tandem/optim/optimizer.hpp"
#include "tandem/train/nonfinite_options.hpp"

namespace tandem::train {

class NonfiniteGuard {
 public:
  // Uses but does not own the graph and optimizer; sizes every buffer now (a step allocates
  // nothing).
  NonfiniteGuard(const NonfiniteOptions& options, graph::Graph& graph, optim::Optimizer& optimizer);

  const NonfiniteOptions& options() const { return options_; }
  // rollback: the current state becomes the one to return to (the run's start, or its resume).
  void keep_current_state();
  // Before every step: skip keeps the batch-norm statistics the step may move.
  void before_step();
  // After a finite step `global_step`: rollback snapshots the state every --rollback-every steps.
  void good_step(int64_t global_step);
  // After a step that was not finite (every rank calls it at the same step): skip or roll back,
  // and returns the line to log; throws DivergedError when the policy is abort or gives up.
  // `where`: "global step S (epoch E)"; `samples`: what the abort message says about inputs.
  std::string bad_step(const std::string& where, const std::string& samples);

  // Multiplies the scheduled learning rate (rollbacks so far).
  double lr_scale() const { return lr_scale_; }
  // Counts since the last call (for the epoch's metrics), and the run's totals.
  struct Counts {
    int64_t skipped = 0, rollbacks = 0;
  };
  Counts take_epoch_counts();
  // Checkpoints hold the rate factor and the run's totals (a resumed run returns to the state it
  // resumed from until its next snapshot).
  void save(io::TrainProgress& p) const;
  void restore(const io::TrainProgress& p);

 private:
  void roll_back();

  NonfiniteOptions options_;
  graph::Graph& graph_;
  optim::Optimizer& optimizer_;
  std::vector<float> state_before_;  // skip: the batch-norm statistics before the step
  // rollback: the last good parameters, statistics, optimizer state and step count.
  std::vector<float> good_params_, good_state_;
  std::vector<optim::StateArray> optimizer_state_;  // the optimizer's arrays (fixed once sized)
  std::vector<std::vector<float>> good_optimizer_;
  int64_t good_optimizer_steps_ = 0;
  double lr_scale_ = 1.0;
  int64_t skipped_in_a_row_ = 0;
  Counts total_, epoch_;
};

}  // namespace tandem::train
