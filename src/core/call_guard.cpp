#include "tandem/core/call_guard.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <map>
#include <mutex>
#include <thread>

namespace tandem {
namespace {

using Clock = std::chrono::steady_clock;

// How often an armed guard's memory is sampled: a runaway allocation (about 1 GiB/s in the
// libhdf5 case) overshoots its limit by at most this much time's worth.
constexpr auto kPollInterval = std::chrono::milliseconds(50);

struct Armed {
  Clock::time_point deadline;
  int64_t memory_limit;  // resident bytes; -1 when memory cannot be read
  double seconds;
  int64_t growth;
  std::function<std::string(const std::string&)> message;
};

[[noreturn]] void end_process(const Armed& a, const std::string& why) {
  std::fprintf(stderr, "tandem: error: %s\n", a.message(why).c_str());
  std::fflush(stderr);
  std::_Exit(1);  // the runaway call holds libhdf5's state; nothing else may run safely
}

class Watcher {
 public:
  uint64_t arm(Armed a) {
    std::lock_guard<std::mutex> lock(mutex_);
    const uint64_t id = ++next_id_;
    armed_.emplace(id, std::move(a));
    if (!thread_started_) {
      std::thread([this] { watch(); }).detach();
      thread_started_ = true;
    }
    changed_.notify_one();
    return id;
  }
  void disarm(uint64_t id) {
    std::lock_guard<std::mutex> lock(mutex_);
    armed_.erase(id);
  }

 private:
  void watch() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      if (armed_.empty()) {
        changed_.wait(lock);
        continue;
      }
      changed_.wait_for(lock, kPollInterval);
      const auto now = Clock::now();
      const int64_t rss = resident_bytes();
      for (const auto& [id, a] : armed_) {
        if (now >= a.deadline) end_process(a, "has not returned after " + seconds_text(a.seconds));
        if (a.memory_limit >= 0 && rss > a.memory_limit)
          end_process(a, "took more than " + std::to_string(a.growth >> 20) + " MiB of memory");
      }
    }
  }
  static std::string seconds_text(double s) {
    char text[32];
    std::snprintf(text, sizeof text, "%g s", s);
    return text;
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<uint64_t, Armed> armed_;
  uint64_t next_id_ = 0;
  bool thread_started_ = false;
};

// The crash messages of the innermost guard armed on this thread, for the signal handler.
thread_local const CallGuard::CrashTexts* innermost_crash_texts = nullptr;
constexpr int kCrashSignals[] = {SIGSEGV, SIGBUS, SIGFPE};
struct sigaction previous_action[std::size(kCrashSignals)];  // by index in kCrashSignals

size_t crash_signal_index(int signal) {
  for (size_t i = 0; i < std::size(kCrashSignals); ++i)
    if (kCrashSignals[i] == signal) return i;
  return 0;
}

// Prints the armed call's message, then hands the signal on to whoever handled it before.
// Only async-signal-safe calls: write, sigaction.
void on_crash(int signal, siginfo_t* info, void* context) {
  if (const CallGuard::CrashTexts* texts = innermost_crash_texts) {
    const std::string& text = signal == SIGFPE ? texts->arithmetic_fault : texts->memory_fault;
    const ssize_t ignored = ::write(STDERR_FILENO, text.data(), text.size());
    (void)ignored;
  }
  const struct sigaction& previous = previous_action[crash_signal_index(signal)];
  if ((previous.sa_flags & SA_SIGINFO) && previous.sa_sigaction) {
    previous.sa_sigaction(signal, info, context);
    return;
  }
  if (!(previous.sa_flags & SA_SIGINFO) && previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
    previous.sa_handler(signal);
    return;
  }
  // No handler before: the default action, when the faulting instruction runs again.
  struct sigaction default_action = {};
  default_action.sa_handler = SIG_DFL;
  ::sigaction(signal, &default_action, nullptr);
}

// Checked at every guard, since whoever installs a handler later (MPI_Init, a test) replaces
// this one: on_crash then goes first again, and hands on to that handler.
void ensure_crash_handler() {
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  for (size_t i = 0; i < std::size(kCrashSignals); ++i) {
    struct sigaction current = {};
    ::sigaction(kCrashSignals[i], nullptr, &current);
    if ((current.sa_flags & SA_SIGINFO) && current.sa_sigaction == on_crash) continue;
    struct sigaction action = {};
    action.sa_sigaction = on_crash;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    ::sigaction(kCrashSignals[i], &action, &previous_action[i]);
  }
}

// Never destroyed: the detached thread may be waiting on it when the process exits. A forked
// child has no watcher thread (fork copies only the calling thread), so it gets a new one.
Watcher*& current_watcher() {
  static Watcher* w = nullptr;
  return w;
}

Watcher* watcher() {
  static std::once_flag once;
  std::call_once(once, [] {
    pthread_atfork(nullptr, nullptr, [] { current_watcher() = new Watcher; });
    current_watcher() = new Watcher;
  });
  return current_watcher();
}

}  // namespace

int64_t resident_bytes() {
  const int fd = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char text[128];
  const ssize_t n = ::read(fd, text, sizeof text - 1);
  ::close(fd);
  if (n <= 0) return -1;
  text[n] = '\0';
  long long size = 0, resident = 0;
  if (std::sscanf(text, "%lld %lld", &size, &resident) != 2) return -1;
  return static_cast<int64_t>(resident) * ::sysconf(_SC_PAGESIZE);
}

CallGuard::CallGuard(Limits limits, std::function<std::string(const std::string& why)> message)
    : crash_texts_{"tandem: error: " + message("crashed (a memory fault)") + "\n",
                   "tandem: error: " + message("crashed (an arithmetic fault)") + "\n"},
      outer_crash_texts_(innermost_crash_texts) {
  const int64_t rss = resident_bytes();
  Armed a{Clock::now() +
              std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(limits.seconds)),
          rss >= 0 ? rss + limits.memory_growth_bytes : -1, limits.seconds, limits.memory_growth_bytes,
          std::move(message)};
  id_ = watcher()->arm(std::move(a));
  ensure_crash_handler();
  innermost_crash_texts = &crash_texts_;
}

CallGuard::~CallGuard() {
  innermost_crash_texts = outer_crash_texts_;
  watcher()->disarm(id_);
}

}  // namespace tandem
