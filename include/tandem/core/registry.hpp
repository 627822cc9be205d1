#pragma once
// A registry of named extensions: ops, losses, optimizers, schedules, initializers. Each entry
// is one registration line (name, aliases, one-line summary, factory and properties); lookups,
// "unknown X; known Xs: ..." messages, --help texts and the README's keyword tables all come
// from it, so there is no if-chain of names anywhere else.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "tandem/core/error.hpp"
#include "tandem/core/strings.hpp"

namespace tandem {

// Entry needs the members `std::string name`, `std::vector<std::string> aliases` and
// `std::string summary`; the rest (factory, properties) is the registry's own business.
template <class Entry>
class Registry {
 public:
  // kind: "op", "loss", ...; plural: "ops", "losses", ... (for messages).
  Registry(std::string kind, std::string plural, std::vector<Entry> entries)
      : kind_(std::move(kind)), plural_(std::move(plural)), entries_(std::move(entries)) {
    std::vector<std::string> seen;
    for (const auto& e : entries_)
      for (const auto& n : spellings(e)) {
        TANDEM_ASSERT(std::find(seen.begin(), seen.end(), n) == seen.end(), kind_, " '", n,
                      "' is registered twice");
        seen.push_back(n);
      }
  }

  const std::string& kind() const { return kind_; }
  const std::vector<Entry>& entries() const { return entries_; }

  // The entry called `name` (or one of its aliases); nullptr if none.
  const Entry* find(std::string_view name) const {
    for (const auto& e : entries_)
      for (const auto& n : spellings(e))
        if (n == name) return &e;
    return nullptr;
  }

  // The entry called `name`, or UsageError "CONTEXTunknown KIND 'name'; known KINDS: a, b, c
  // (did you mean b?)".
  const Entry& get(const std::string& name, const std::string& context = "") const {
    if (const Entry* e = find(name)) return *e;
    std::vector<std::string> all;
    for (const auto& e : entries_)
      for (const auto& n : spellings(e)) all.push_back(n);
    const std::string guess = closest_match(name, all, 2);
    throw UsageError(context + "unknown " + kind_ + " '" + name + "'; known " + plural_ + ": " + names() +
                     (guess.empty() ? "" : " (did you mean " + guess + "?)"));
  }

  // Primary names in registration order: "a, b, c".
  std::string names(const std::string& separator = ", ") const {
    std::vector<std::string> n;
    for (const auto& e : entries_) n.push_back(e.name);
    return join(n, separator);
  }

 private:
  static std::vector<std::string> spellings(const Entry& e) {
    std::vector<std::string> s{e.name};
    s.insert(s.end(), e.aliases.begin(), e.aliases.end());
    return s;
  }

  std::string kind_, plural_;
  std::vector<Entry> entries_;
};

}  // namespace tandem
