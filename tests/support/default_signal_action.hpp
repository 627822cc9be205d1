#pragma once
// For death tests of a real fault (SIGSEGV, SIGFPE) in a guarded call: puts back the default
// action first, in the forked child, so the process dies of the signal. Otherwise a sanitizer's
// handler (ASan, UBSan) takes it, prints its own report and exits with its own code; the
// guard's handler is installed over the default action and hands the signal on to it.
#include <signal.h>

namespace tandem::testing {

inline void use_default_action(int signal) {
  struct sigaction default_action = {};
  default_action.sa_handler = SIG_DFL;
  ::sigaction(signal, &default_action, nullptr);
}

}  // namespace tandem::testing
