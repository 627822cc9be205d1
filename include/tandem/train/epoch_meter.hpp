#pragma once
// The training sums of the epoch in progress and of the --log-every-steps window. Loss and
// correct-prediction sums are this rank's; the epoch's sample count is global (every rank adds
// the global batch). Totals over the ranks take one allreduce. A checkpoint stores the totals;
// a resumed run gives them to rank 0 and zeros to the others, so that the next totals are the
// same on any number of ranks.
#include "tandem/dist/comm.hpp"
#include "tandem/io/checkpoint.hpp"

namespace tandem::train {

class EpochMeter {
 public:
  struct Totals {
    double loss = 0, correct = 0, samples = 0;
  };

  void start_epoch() { loss_ = correct_ = seen_ = 0; }
  // After a step: this rank's loss and correct sums over its `rank_samples` of the step's
  // `global_samples`.
  void add_step(double loss_sum, double correct, double rank_samples, double global_samples) {
    loss_ += loss_sum;
    correct_ += correct;
    seen_ += global_samples;
    window_loss_ += loss_sum;
    window_seen_ += rank_samples;
  }
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
};

}  // namespace tandem::train
