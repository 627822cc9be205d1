// --param-groups rules and the glob patterns they match parameter names with.
#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "tandem/core/error.hpp"
#include "tandem/optim/optimizer.hpp"

namespace tandem::optim {
namespace {

// The keys a rule may set, and the field of GroupRule each one sets.
struct Key {
  const char* name;
  double GroupRule::*field;
};
constexpr Key kKeys[] = {{"weight_decay", &GroupRule::weight_decay},
                         {"l1", &GroupRule::l1},
                         {"lr_scale", &GroupRule::lr_scale},
                         {"adapt", &GroupRule::adapt}};

std::string known_keys() {
  std::string s;
  for (const auto& k : kKeys) s += (s.empty() ? "" : ", ") + std::string(k.name);
  return s;
}

}  // namespace

std::vector<GroupRule> parse_group_rules(const std::string& text) {
  std::vector<GroupRule> rules;
  size_t start = 0;
  while (start < text.size()) {
    const size_t semi = std::min(text.find(';', start), text.size());
    const std::string rule = text.substr(start, semi - start);
    start = semi + 1;
    if (rule.empty()) continue;
    const size_t colon = rule.find(':');
    TANDEM_USAGE_CHECK(colon != std::string::npos && colon > 0, "--param-groups rule '", rule,
                       "' needs PATTERN:key=value, e.g. '*.bias:weight_decay=0,lr_scale=2'");
    GroupRule r;
    r.pattern = rule.substr(0, colon);
    size_t pos = colon + 1;
    while (pos <= rule.size()) {
      const size_t comma = std::min(rule.find(',', pos), rule.size());
      const std::string kv = rule.substr(pos, comma - pos);
      pos = comma + 1;
      const size_t eq = kv.find('=');
      const std::string key = kv.substr(0, eq);
      TANDEM_USAGE_CHECK(eq != std::string::npos, "--param-groups rule '", rule, "': '", kv,
                         "' is not key=value (keys: ", known_keys(), ")");
      char* end = nullptr;
      const std::string value = kv.substr(eq + 1);
      const double v = std::strtod(value.c_str(), &end);
      TANDEM_USAGE_CHECK(!value.empty() && *end == '\0' && std::isfinite(v) && v >= 0,
                         "--param-groups rule '", rule, "': ", key, " needs a non-negative number, got '",
                         value, "'");
      const auto field =
          std::find_if(std::begin(kKeys), std::end(kKeys), [&](const Key& k) { return key == k.name; });
      TANDEM_USAGE_CHECK(field != std::end(kKeys), "--param-groups rule '", rule, "': unknown key '", key,
                         "'; keys: ", known_keys());
      TANDEM_USAGE_CHECK(field->field != &GroupRule::adapt || v == 0 || v == 1, "--param-groups rule '", rule,
                         "': adapt is 0 or 1, got '", value, "'");
      r.*(field->field) = v;
    }
    rules.push_back(r);
  }
  return rules;
}

bool glob_match(const std::string& pattern, const std::string& name) {
  // Iterative wildcard matching with backtracking to the last '*'.
  size_t p = 0, n = 0, star = std::string::npos, mark = 0;
  while (n < name.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == name[n])) {
      ++p, ++n;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++, mark = n;
    } else if (star != std::string::npos) {
      p = star + 1, n = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace tandem::optim
