#pragma once
// Shared by the libFuzzer targets (README "Fuzzing"): the input as a file on a tmpfs, and the
// rule that tandem reports a bad input by throwing tandem::Error (or UsageError) with a
// message. Any other exception escapes LLVMFuzzerTestOneInput, aborts, and libFuzzer saves the
// input as a crash: std::bad_alloc, std::out_of_range or std::length_error from an unchecked
// size are bugs, as are sanitizer reports, hangs and leaks.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tandem/core/error.hpp"

namespace tandem::fuzz {

// A file of this process in /dev/shm (or $TANDEM_FUZZ_DIR), removed when destroyed.
class ScratchFile {
 public:
  explicit ScratchFile(const std::string& suffix);
  ScratchFile(const uint8_t* data, size_t size, const std::string& suffix);
  ~ScratchFile();
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;
  const std::string& path() const { return path_; }
  void write(const void* data, size_t size) const;

 private:
  std::string path_;
};

// Runs fn; a tandem::Error must carry a message, any other exception propagates (a crash).
template <class Fn>
bool expect_clear_errors(Fn&& fn) {
  try {
    fn();
    return true;
  } catch (const tandem::Error& e) {
    if (std::string(e.what()).empty()) {
      std::fprintf(stderr, "tandem::Error without a message\n");
      std::abort();
    }
    return false;
  }
}

// Stops the run with a message when an invariant of the code under test fails.
inline void require(bool ok, const std::string& what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz invariant failed: ");
  std::fwrite(what.data(), 1, what.size(), stderr);  // all of it, NUL bytes too
  std::fprintf(stderr, "\n");
  std::abort();
}

}  // namespace tandem::fuzz
