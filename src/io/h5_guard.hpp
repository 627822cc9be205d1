#pragma once
// A CallGuard for a libhdf5 call that reads a file's structure (opening it, looking up an object,
// its shape or attributes). Private to src/io.
#include <string>

#include "tandem/core/call_guard.hpp"

namespace tandem::io::hdf5 {

// Ends the process with a message naming the file and what was being read when the call has
// not returned within TANDEM_METADATA_DEADLINE seconds (default 60), or has grown the process's
// memory by more than TANDEM_METADATA_MEMORY_MB (default 1024) plus the file's size; prints
// that message too if the call crashes. libhdf5 1.10.8 does all three on some damaged files (a
// global heap it loops on forever or reads out of bounds; a local heap whose free list it
// extends until the OOM killer comes). Reading a file's data (H5Dread) is not guarded: it
// takes as long, and fills as much memory, as the data is large.
class MetadataGuard {
 public:
  // `reading`: what is being read, as in "reading attribute 'classes' on '/'".
  MetadataGuard(const std::string& file, std::string reading);

 private:
  CallGuard guard_;
};

}  // namespace tandem::io::hdf5
