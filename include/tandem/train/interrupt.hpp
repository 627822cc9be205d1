#pragma once
// Preemption: SIGTERM or SIGUSR1 (what Slurm and most schedulers send before killing a job)
// asks the run to write a checkpoint at the next step and stop.
namespace tandem::train {

void install_stop_handlers();
bool stop_requested();
void request_stop();  // as if a signal arrived (tests)

}  // namespace tandem::train
