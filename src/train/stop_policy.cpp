#include "tandem/train/stop_policy.hpp"

#include <chrono>

#include "tandem/train/interrupt.hpp"

namespace tandem::train {
namespace {

double now() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace

StopPolicy::StopPolicy(const TrainConfig& c, dist::Comm& comm)
    : every_(c.checkpoint_every),
      stop_after_steps_(c.stop_after_steps),
      comm_(comm),
      last_checkpoint_(now()) {}

StopPolicy::Decision StopPolicy::after_step(int64_t step) {
  Decision d;
  if (every_.unit == Every::Unit::kSteps) d.checkpoint = step % static_cast<int64_t>(every_.amount) == 0;
  if (every_.unit == Every::Unit::kSeconds) {
    // Clocks differ between ranks: rank 0 decides for everyone.
    double due = comm_.is_root() && now() - last_checkpoint_ >= every_.amount ? 1 : 0;
    comm_.broadcast(&due, sizeof due, 0);
    d.checkpoint = due > 0;
  }
  // A signal reaches the ranks at different steps: they agree through one small reduction.
  double signalled = stop_requested() ? 1.0 : 0.0;
  comm_.allreduce_max(&signalled, 1);
  if (signalled > 0) {
    d.stop = true;
    d.reason = "SIGTERM/SIGUSR1";
  } else if (stop_after_steps_ > 0 && step >= stop_after_steps_) {
    d.stop = true;
    d.reason = "--stop-after-steps";
  }
  d.checkpoint = d.checkpoint || d.stop;
  return d;
}

bool StopPolicy::signalled() {
  return stop_requested_on_any_rank(comm_);
}

bool StopPolicy::checkpoint_after_epoch(int64_t epochs_done) const {
  return every_.unit == Every::Unit::kEpochs && epochs_done % static_cast<int64_t>(every_.amount) == 0;
}

void StopPolicy::checkpoint_written() {
  last_checkpoint_ = now();
}

}  // namespace tandem::train
