#include "fuzz_support.hpp"

#include <unistd.h>

#include <fstream>

namespace tandem::fuzz {
namespace {

std::string scratch_dir() {
  const char* dir = std::getenv("TANDEM_FUZZ_DIR");
  return dir && *dir ? dir : "/dev/shm";
}

}  // namespace

ScratchFile::ScratchFile(const std::string& suffix) {
  static int counter = 0;
  path_ =
      scratch_dir() + "/tandem-fuzz-" + std::to_string(getpid()) + "-" + std::to_string(counter++) + suffix;
}

ScratchFile::ScratchFile(const uint8_t* data, size_t size, const std::string& suffix) : ScratchFile(suffix) {
  write(data, size);
}

ScratchFile::~ScratchFile() {
  std::remove(path_.c_str());
  std::remove((path_ + ".tmp").c_str());
}

void ScratchFile::write(const void* data, size_t size) const {
  std::ofstream out(path_, std::ios::binary | std::ios::trunc);
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
  require(out.good(), "cannot write the scratch file " + path_);
}

}  // namespace tandem::fuzz
