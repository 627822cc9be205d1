#include "tandem/core/deadline.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace tandem {

Deadline::Deadline(double seconds, std::string message) {
  watcher_ = std::thread([this, seconds, message = std::move(message)] {
    std::unique_lock<std::mutex> lock(mutex_);
    if (returned_.wait_for(lock, std::chrono::duration<double>(seconds), [this] { return done_; })) return;
    std::fprintf(stderr, "tandem: error: %s\n", message.c_str());
    std::fflush(stderr);
    std::_Exit(1);  // the stuck call holds locks; nothing else can run safely
  });
}

Deadline::~Deadline() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    done_ = true;
  }
  returned_.notify_one();
  watcher_.join();
}

double metadata_deadline_seconds() {
  const char* env = std::getenv("TANDEM_METADATA_DEADLINE");
  const double seconds = env ? std::atof(env) : 0.0;
  return seconds > 0 ? seconds : 60.0;
}

}  // namespace tandem
