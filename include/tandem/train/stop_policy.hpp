#pragma once
// When a run writes a checkpoint and when it stops, decided the same way on every rank: the
// --checkpoint-every cadence (by steps, epochs, or rank 0's clock), SIGTERM/SIGUSR1 reaching
// any rank (signals arrive at different steps: the ranks agree through a one-value
// reduction), and --stop-after-steps.
#include <cstdint>
#include <string>

#include "tandem/core/error.hpp"
#include "tandem/dist/comm.hpp"
#include "tandem/train/config.hpp"

namespace tandem::train {

// A run whose loss or gradient stopped being finite, raised on every rank at the same step
// (NonfiniteGuard).
class DivergedError : public Error {
 public:
  using Error::Error;
};

class StopPolicy {
 public:
  StopPolicy(const TrainConfig& config, dist::Comm& comm);

  struct Decision {
    bool checkpoint = false;
    bool stop = false;
    std::string reason;  // why it stops: "SIGTERM/SIGUSR1" or "--stop-after-steps"
  };
  // Collective, after every training step.
  Decision after_step(int64_t global_step);
  // Collective: a stop signal reached some rank.
  bool signalled();
  // Whether the cadence asks for a checkpoint after `epochs_done` epochs.
  bool checkpoint_after_epoch(int64_t epochs_done) const;
  // A checkpoint was written: time-based cadences count from now.
  void checkpoint_written();

 private:
  Every every_;
  int64_t stop_after_steps_;
  dist::Comm& comm_;
  double last_checkpoint_ = 0;
};

}  // namespace tandem::train
