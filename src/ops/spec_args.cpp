#include <algorithm>

#include "tandem/core/error.hpp"
#include "tandem/core/strings.hpp"
#include "tandem/ops/registry.hpp"

namespace tandem::ops {

SpecArgs::SpecArgs(std::string op, std::vector<std::string> args, std::map<std::string, std::string> options,
                   std::string where)
    : op_(std::move(op)), args_(std::move(args)), options_(std::move(options)), where_(std::move(where)) {}

std::string SpecArgs::text(const std::string& key, const std::string& fallback) {
  used_.insert(key);
  const auto it = options_.find(key);
  return it == options_.end() ? fallback : it->second;
}

int64_t SpecArgs::integer(const std::string& key, int64_t fallback) {
  const auto s = text(key, "");
  return s.empty() ? fallback : parse_int(s, where_ + op_ + " option '" + key + "'");
}

double SpecArgs::number(const std::string& key, double fallback) {
  const auto s = text(key, "");
  return s.empty() ? fallback : parse_double(s, where_ + op_ + " option '" + key + "'");
}

bool SpecArgs::flag(const std::string& key, bool fallback) {
  const auto s = text(key, fallback ? "true" : "false");
  TANDEM_USAGE_CHECK(s == "true" || s == "false", where_, op_, " option '", key,
                     "' must be true or false, got '", s, "'");
  return s == "true";
}

graph::InitSpec SpecArgs::init(const std::string& key, const std::string& fallback) {
  const auto s = text(key, fallback);
  graph::InitSpec spec;
  const auto colon = s.find(':');
  spec.scheme = s.substr(0, colon);
  if (colon != std::string::npos)
    spec.value = parse_double(s.substr(colon + 1), where_ + op_ + " option '" + key + "'");
  return spec;
}

int64_t SpecArgs::arg_int(size_t i, const std::string& key, int64_t fallback) {
  if (i >= args_.size()) return integer(key, fallback);
  args_used_ = std::max(args_used_, i + 1);
  return parse_int(args_[i], where_ + op_ + " argument " + std::to_string(i + 1));
}

double SpecArgs::arg_number(size_t i, const std::string& key, double fallback) {
  if (i >= args_.size()) return number(key, fallback);
  args_used_ = std::max(args_used_, i + 1);
  return parse_double(args_[i], where_ + op_ + " argument " + std::to_string(i + 1));
}

void SpecArgs::done() const {
  TANDEM_USAGE_CHECK(args_used_ >= args_.size(), where_, op_, " takes at most ", args_used_,
                     " positional argument(s), got ", args_.size(), " ('", join(args_, " "), "')");
  for (const auto& [key, value] : options_) {
    if (used_.count(key)) continue;
    std::vector<std::string> known(used_.begin(), used_.end());
    known.push_back("in");
    throw UsageError(where_ + "unknown option '" + key + "' for " + op_ + "; known: " + join(known, ", "));
  }
}

}  // namespace tandem::ops
