#include "tandem/train/interrupt.hpp"

#include <csignal>

namespace tandem::train {
namespace {

volatile std::sig_atomic_t g_stop = 0;

extern "C" void on_stop_signal(int) {
  g_stop = 1;
}

}  // namespace

void install_stop_handlers() {
  std::signal(SIGTERM, on_stop_signal);
  std::signal(SIGUSR1, on_stop_signal);
}

bool stop_requested() {
  return g_stop != 0;
}

bool stop_requested_on_any_rank(dist::Comm& comm) {
  double s = stop_requested() ? 1 : 0;
  comm.allreduce_max(&s, 1);
  return s > 0;
}

void request_stop() {
  g_stop = 1;
}

}  // namespace tandem::train
