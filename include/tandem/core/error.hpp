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

// A broken invariant of tandem itself (TANDEM_ASSERT): nothing the user can fix, so the
// message carries where in the source it failed, for the bug report. Exit code 1.
class InternalError : public Error {
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

// The path of a source file from the repository root (what follows the last "/src/",
// "/include/" or "/tests/" of __FILE__): no build directory or user name in a message.
constexpr bool root_marker(const char* p) {
  for (const char* m : {"/src/", "/include/", "/tests/"}) {
    int i = 0;
    while (m[i] && p[i] == m[i]) ++i;
    if (!m[i]) return true;
  }
  return false;
}
constexpr const char* source_path(const char* file) {
  const char* from = file;
  for (const char* p = file; *p; ++p)
    if (root_marker(p)) from = p + 1;
  return from;
}

template <typename... Args>
InternalError internal_error(const char* file, int line, const Args&... args) {
  return InternalError(concat("internal error: ", args..., " [", source_path(file), ":", line,
                              "]; this is a bug in tandem, please report it with this message"));
}
}  // namespace detail

}  // namespace tandem

// TANDEM_CHECK(cond, "what was wrong", value, "what to do") throws tandem::Error.
#define TANDEM_CHECK(cond, ...)                                                \
  do {                                                                         \
    if (!(cond)) throw ::tandem::Error(::tandem::detail::concat(__VA_ARGS__)); \
  } while (0)

// An internal invariant: the message says what broke; the source location is added.
#define TANDEM_ASSERT(cond, ...)                                                          \
  do {                                                                                    \
    if (!(cond)) throw ::tandem::detail::internal_error(__FILE__, __LINE__, __VA_ARGS__); \
  } while (0)

// Same, for mistakes in options, specs and configuration (exit code 2).
#define TANDEM_USAGE_CHECK(cond, ...)                                               \
  do {                                                                              \
    if (!(cond)) throw ::tandem::UsageError(::tandem::detail::concat(__VA_ARGS__)); \
  } while (0)
