#include "h5_guard.hpp"

#include <cstdlib>
#include <filesystem>

namespace tandem::io::hdf5 {
namespace {

double env_number(const char* name, double otherwise) {
  const char* text = std::getenv(name);
  const double value = text ? std::atof(text) : 0.0;
  return value > 0 ? value : otherwise;
}

CallGuard::Limits limits_for(const std::string& file) {
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(file, ec);
  CallGuard::Limits limits;
  limits.seconds = env_number("TANDEM_METADATA_DEADLINE", 60);
  limits.memory_growth_bytes =
      static_cast<int64_t>(env_number("TANDEM_METADATA_MEMORY_MB", 1024) * (1 << 20)) +
      (ec ? 0 : static_cast<int64_t>(bytes));
  return limits;
}

}  // namespace

MetadataGuard::MetadataGuard(const std::string& file, std::string reading)
    : guard_(limits_for(file), [file, reading = std::move(reading)](const std::string& why) {
        return reading + " in '" + file + "': libhdf5 " + why +
               "; the file is damaged (libhdf5 1.10.8 crashes, loops or allocates without end on some "
               "damaged files): copy or convert it again";
      }) {}

}  // namespace tandem::io::hdf5
