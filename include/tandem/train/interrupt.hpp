#pragma once
// Preemption: SIGTERM or SIGUSR1 (what Slurm and most schedulers send before killing a job)
// asks the run to write a checkpoint at the next step and stop.
#include "tandem/dist/comm.hpp"

namespace tandem::train {

void install_stop_handlers();
bool stop_requested();
// Collective: a stop signal reached some rank (signals arrive at the ranks at different times).
bool stop_requested_on_any_rank(dist::Comm& comm);
void request_stop();  // as if a signal arrived (tests)

}  // namespace tandem::train
