#pragma once
// The training sums of the epoch in progress and of the --log-every-steps window. Loss and
// correct-prediction sums are this rank's; the epoch's sample count is global (every rank adds
// the global batch). Totals over the ranks take one allreduce. A checkpoint stores the totals;
// a resumed run gives them to rank 0 and zeros to the others, so that the next totals are the
// same on any number of ranks.
#include <utility>

#include "tandem/dist/comm.hpp"
#include "tandem/io/checkpoint.hpp"

namespace tandem::train {

class EpochMeter {
 public:
  struct Totals {
    double loss = 0, correct = 0, samples = 0;
  };

  // The gradient-norm sums (--clip-grad-norm): the same on every rank, no reduction needed.
  struct NormSums {
    double sum = 0, steps = 0, clipped = 0;
    double mean() const { return steps > 0 ? sum / steps : 0.0; }
  };

  void start_epoch() {
    loss_ = correct_ = seen_ = 0;
    norms_ = {};
  }
  // After a step: this rank's loss and correct sums over its `rank_samples` of the step's
  // `global_samples`.
  void add_step(double loss_sum, double correct, double rank_samples, double global_samples) {
    loss_ += loss_sum;
    correct_ += correct;
    seen_ += global_samples;
    window_loss_ += loss_sum;
    window_seen_ += rank_samples;
  }
  // A step's global gradient norm before clipping (negative: not measured).
  void add_grad_norm(double norm, bool clipped) {
    if (norm < 0) return;
    norms_.sum += norm, norms_.steps += 1, norms_.clipped += clipped ? 1 : 0;
    window_norms_.sum += norm, window_norms_.steps += 1;
  }
  const NormSums& epoch_grad_norms() const { return norms_; }
  // The window's norms; starts a new window.
  NormSums take_window_grad_norms() { return std::exchange(window_norms_, {}); }
  // This rank's running mean loss, for the progress bar (no communication).
  double running_loss(int ranks) const { return loss_ / (seen_ / ranks > 1 ? seen_ / ranks : 1.0); }

  // Collective: the epoch's sums over all ranks.
  Totals epoch_totals(dist::Comm& comm) const;
  // Collective: the mean loss of the steps since the last call (all ranks); starts a new window.
  double take_window_mean(dist::Comm& comm);

  // Collective: the totals into progress (epoch and window sums).
  void save(io::TrainProgress& progress, dist::Comm& comm) const;
  void restore(const io::TrainProgress& progress, const dist::Comm& comm);

 private:
  double loss_ = 0, correct_ = 0, seen_ = 0;
  double window_loss_ = 0, window_seen_ = 0;
  NormSums norms_, window_norms_;
};

}  // namespace tandem::train
