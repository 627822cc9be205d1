#pragma once
// Ends the process when a call that cannot be interrupted runs away: it has not returned within
// a time limit, or the process's resident memory has grown by more than a limit since the call
// began. For library calls on untrusted input: libhdf5 1.10.8 loops forever on some damaged
// files, and on others allocates without end until the kernel's OOM killer ends the process
// without a word. The exit (code 1, with "tandem: error: <message>") ends an mpirun job on
// every rank, instead of a hang or a node out of memory.
//
// A call that crashes (SIGSEGV, SIGBUS, SIGFPE) gets its message printed too, before the crash
// goes on to the handler installed before (Open MPI's backtrace, a sanitizer's report, a core
// dump).
//
// One watcher thread serves every guard (started on first use, and again in a forked child);
// arming and disarming cost a lock, a read of /proc/self/statm, the crash messages' formatting
// and a notify.
#include <cstdint>
#include <functional>
#include <string>

namespace tandem {

class CallGuard {
 public:
  // The whole lines a crash prints, formatted before it (a signal handler cannot format).
  struct CrashTexts {
    std::string memory_fault;      // SIGSEGV, SIGBUS
    std::string arithmetic_fault;  // SIGFPE
  };
  struct Limits {
    double seconds = 60;
    int64_t memory_growth_bytes = int64_t{1} << 30;
  };
  // Armed now. `message` is called with why: "crashed (a memory fault)" and "crashed (an
  // arithmetic fault)" at once (kept for a crash), "has not returned after 60 s" or "took more
  // than 1024 MiB of memory" when a limit is crossed (on the watcher thread).
  CallGuard(Limits limits, std::function<std::string(const std::string& why)> message);
  ~CallGuard();  // disarms
  CallGuard(const CallGuard&) = delete;
  CallGuard& operator=(const CallGuard&) = delete;

 private:
  uint64_t id_;
  CrashTexts crash_texts_;
  const CrashTexts* outer_crash_texts_;  // the enclosing guard's on this thread, restored after
};

// The process's resident memory in bytes (/proc/self/statm), or -1 where it cannot be read.
int64_t resident_bytes();

}  // namespace tandem
