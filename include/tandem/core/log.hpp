#pragma once
// Rank-aware logging: rank 0 speaks, other ranks print only errors.
#include <string>

#include "tandem/core/error.hpp"

namespace tandem::log {

// Set once at start-up; before that every process counts as rank 0.
void set_rank(int rank);
int rank();

// Informational line on stdout, rank 0 only.
void info(const std::string& line);
// Warning on stderr, rank 0 only.
void warn(const std::string& line);
// Error on stderr from any rank, prefixed with the rank.
void error(const std::string& line);

template <typename... Args>
void infof(const Args&... args) {
  if (rank() == 0) info(detail::concat(args...));
}

template <typename... Args>
void warnf(const Args&... args) {
  if (rank() == 0) warn(detail::concat(args...));
}

}  // namespace tandem::log
