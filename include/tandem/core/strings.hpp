#pragma once
// Small string helpers shared by the parsers.
#include <string>
#include <string_view>
#include <vector>

namespace tandem {

std::string trim(std::string_view s);
// Splits on any of the separator characters, dropping empty pieces.
std::vector<std::string> split(std::string_view s, std::string_view separators);
// Strict numeric parsing: the whole string must be a number, or UsageError naming `what`.
long long parse_int(const std::string& s, const std::string& what);
double parse_double(const std::string& s, const std::string& what);
std::string join(const std::vector<std::string>& parts, const std::string& sep);

// The shortest text that reads back as exactly v, as a person would write it: "0.05",
// "1e-5", "10" (never "0.050000000000000003").
std::string format_number(double v);
// v with `digits` decimals ("%.*f").
std::string fixed(double v, int digits);

// The candidate closest to `name` by edit distance, if within `max_distance` edits; "" if none.
std::string closest_match(const std::string& name, const std::vector<std::string>& candidates,
                          size_t max_distance = 3);

}  // namespace tandem
