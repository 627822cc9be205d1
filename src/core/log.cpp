#include "tandem/core/log.hpp"

#include <cstdio>

namespace tandem::log {
namespace {
int g_rank = 0;
}

void set_rank(int rank) {
  g_rank = rank;
}
int rank() {
  return g_rank;
}

void info(const std::string& line) {
  if (g_rank != 0) return;
  std::fprintf(stdout, "%s\n", line.c_str());
  std::fflush(stdout);
}

void warn(const std::string& line) {
  if (g_rank != 0) return;
  std::fprintf(stderr, "tandem: warning: %s\n", line.c_str());
}

void error(const std::string& line) {
  std::fprintf(stderr, "tandem: error (rank %d): %s\n", g_rank, line.c_str());
  std::fflush(stderr);
}

}  // namespace tandem::log
