#pragma once
// Ends the process when a call that should return at once has not returned in time: for
// library calls that cannot be interrupted, such as libhdf5 1.10.8's reads of some damaged
// files, which loop forever. The exit (code 1) ends an mpirun job on every rank, with a message
// instead of a hang.
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace tandem {

class Deadline {
 public:
  // Armed now: unless destroyed within `seconds`, prints "tandem: error: <message>" to stderr
  // and exits with code 1.
  Deadline(double seconds, std::string message);
  ~Deadline();
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

 private:
  std::mutex mutex_;
  std::condition_variable returned_;
  bool done_ = false;
  std::thread watcher_;
};

// How long a read of a file's metadata (an attribute, a name) may take: the environment's
// TANDEM_METADATA_DEADLINE in seconds, else 60, far above the milliseconds it takes even on a
// network file system.
double metadata_deadline_seconds();

}  // namespace tandem
