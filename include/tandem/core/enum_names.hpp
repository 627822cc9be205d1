#pragma once
// Modes are enumerations, parsed once where text enters (command line, INI, model files) and
// compared as values everywhere else. Each enumeration lists its names in one table:
//
//   enum class BnSync { kGlobal, kLocal };
//   inline constexpr EnumName<BnSync> kBnSyncNames[] = {
//       {BnSync::kGlobal, "global", "statistics over the global batch"}, ...};
//   constexpr std::span<const EnumName<BnSync>> enum_names(BnSync) { return kBnSyncNames; }
//
// and parse_enum / enum_name / enum_help find the table through enum_names(E) by ADL.
#include <span>
#include <string>
#include <string_view>

#include "tandem/core/error.hpp"

namespace tandem {

template <class E>
struct EnumName {
  E value;
  std::string_view name;
  std::string_view help;  // one line, for --help
};

// The name of a value.
template <class E>
std::string enum_name(E value) {
  for (const auto& n : enum_names(E{}))
    if (n.value == value) return std::string(n.name);
  return "?";
}

// "a, b or c".
template <class E>
std::string enum_choices(E) {
  const auto names = enum_names(E{});
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += names[i].name;
  }
  return out;
}

// "a: help | b: help".
template <class E>
std::string enum_help(E) {
  std::string out;
  for (const auto& n : enum_names(E{})) {
    if (!out.empty()) out += " | ";
    out.append(n.name).append(": ").append(n.help);
  }
  return out;
}

// The value named `text`; UsageError "unknown WHAT 'text'; use a, b or c" otherwise.
template <class E>
E parse_enum(std::string_view text, const std::string& what) {
  for (const auto& n : enum_names(E{}))
    if (n.name == text) return n.value;
  throw UsageError("unknown " + what + " '" + std::string(text) + "'; use " + enum_choices(E{}));
}

}  // namespace tandem
