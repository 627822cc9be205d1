#pragma once
// Errors are exceptions carrying a message that names the problem and the fix.
#include <sstream>
#include <stdexcept>
#include <string>

namespace tandem {

// A runtime error: bad data, bad file, numerical trouble. Exit code 1.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A usage error: bad option, bad spec, bad configuration value. Exit code 2.
class UsageError : public Error {
 public:
  using Error::Error;
};

namespace detail {
template <typename... Args>
std::string concat(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}
}  // namespace detail

}  // namespace tandem

// TANDEM_CHECK(cond, "what was wrong", value, "what to do") throws tandem::Error.
#define TANDEM_CHECK(cond, ...)                                                \
  do {                                                                         \
    if (!(cond)) throw ::tandem::Error(::tandem::detail::concat(__VA_ARGS__)); \
  } while (0)

// Same, for mistakes in options, specs and configuration (exit code 2).
#define TANDEM_USAGE_CHECK(cond, ...)                                               \
  do {                                                                              \
    if (!(cond)) throw ::tandem::UsageError(::tandem::detail::concat(__VA_ARGS__)); \
  } while (0)
