#include "tandem/core/strings.hpp"

#include <cerrno>
#include <cstdlib>

#include "tandem/core/error.hpp"

namespace tandem {

std::string trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(first, last - first + 1));
}

std::vector<std::string> split(std::string_view s, std::string_view separators) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t end = s.find_first_of(separators, start);
    const auto piece = s.substr(start, end == std::string_view::npos ? s.npos : end - start);
    if (!piece.empty()) out.emplace_back(piece);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

long long parse_int(const std::string& s, const std::string& what) {
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  TANDEM_USAGE_CHECK(!s.empty() && end && *end == '\0' && errno == 0, what, ": expected an integer, got '", s,
                     "'");
  return v;
}

double parse_double(const std::string& s, const std::string& what) {
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  TANDEM_USAGE_CHECK(!s.empty() && end && *end == '\0' && errno == 0, what, ": expected a number, got '", s,
                     "'");
  return v;
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

}  // namespace tandem
