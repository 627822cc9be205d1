#include "tandem/data/csv_import.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>

#include "tandem/core/error.hpp"
#include "tandem/core/strings.hpp"

namespace tandem::data {
namespace {

// One line's fields: commas separate, double quotes enclose fields that hold commas ("" is a
// quote), spaces around a field are dropped.
std::vector<std::string> fields_of(const std::string& line, const std::string& where) {
  std::vector<std::string> out;
  std::string field;
  bool quoted = false, was_quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = was_quoted = true;
    } else if (c == ',') {
      out.push_back(was_quoted ? field : trim(field));
      field.clear();
      was_quoted = false;
    } else {
      field += c;
    }
  }
  TANDEM_USAGE_CHECK(!quoted, where, ": a quoted field is not closed");
  out.push_back(was_quoted ? field : trim(field));
  return out;
}

// The column an option names: a header name, or a 0-based number.
int column_of(const std::string& name, const std::vector<std::string>& header, int columns,
              const char* option, const std::string& path) {
  const auto at = std::find(header.begin(), header.end(), name);
  if (at != header.end()) return static_cast<int>(at - header.begin());
  char* end = nullptr;
  const long n = std::strtol(name.c_str(), &end, 10);
  TANDEM_USAGE_CHECK(
      !name.empty() && *end == '\0' && n >= 0 && n < columns, "'", path, "': ", option, " '", name, "' is ",
      header.empty() ? "not a column number" : "neither a column name nor number", " (", columns, " columns",
      header.empty() ? "; names need --header" : ": " + join(header, ", "), ")");
  return static_cast<int>(n);
}

struct Rows {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> fields;
  std::vector<int64_t> line;  // each row's line number
};

Rows read_rows(const std::string& path, bool header) {
  std::ifstream in(path);
  TANDEM_USAGE_CHECK(in, "cannot open '", path, "'");
  Rows r;
  std::string text;
  for (int64_t number = 1; std::getline(in, text); ++number) {
    if (!text.empty() && text.back() == '\r') text.pop_back();
    if (trim(text).empty()) continue;
    const std::string where = path + ":" + std::to_string(number);
    auto f = fields_of(text, where);
    if (header && r.header.empty()) {
      r.header = std::move(f);
      continue;
    }
    const size_t expected = header ? r.header.size() : (r.fields.empty() ? f.size() : r.fields[0].size());
    TANDEM_USAGE_CHECK(f.size() == expected, where, ": ", f.size(), " fields, expected ", expected,
                       header ? " (as the header)" : " (as the first row)");
    r.fields.push_back(std::move(f));
    r.line.push_back(number);
  }
  TANDEM_USAGE_CHECK(!r.fields.empty(), "'", path, "' holds no data rows");
  return r;
}

bool is_integer(const std::string& s) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  return *end == '\0' && errno == 0 && v >= 0 && v <= 1'000'000;
}

// Integer labels are the class indices; otherwise the sorted distinct names are the classes.
std::vector<int32_t> class_indices(const Rows& r, int column, std::vector<std::string>& classes) {
  std::vector<int32_t> out;
  const bool numeric =
      std::all_of(r.fields.begin(), r.fields.end(), [&](const auto& f) { return is_integer(f[column]); });
  if (numeric) {
    int32_t top = 0;
    for (const auto& f : r.fields)
      out.push_back(static_cast<int32_t>(std::strtol(f[column].c_str(), nullptr, 10)));
    for (const int32_t y : out) top = std::max(top, y);
    for (int32_t c = 0; c <= top; ++c) classes.push_back(std::to_string(c));
    return out;
  }
  const std::set<std::string> names = [&] {
    std::set<std::string> s;
    for (const auto& f : r.fields) s.insert(f[column]);
    return s;
  }();
  classes.assign(names.begin(), names.end());
  for (const auto& f : r.fields)
    out.push_back(
        static_cast<int32_t>(std::lower_bound(classes.begin(), classes.end(), f[column]) - classes.begin()));
  return out;
}

std::string split_of(const std::string& value, const std::string& where) {
  std::string v = value;
  std::transform(v.begin(), v.end(), v.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (v == "train" || v == "test") return v;
  if (v == "val" || v == "validation") return "val";
  throw UsageError(where + ": split '" + value + "' is not train, test or val");
}

}  // namespace

Table read_csv(const std::string& path, const CsvOptions& o) {
  TANDEM_USAGE_CHECK(!o.label_column.empty(),
                     "convert csv needs --label-column NAME (or its 0-based number)");
  TANDEM_USAGE_CHECK(
      (o.test_fraction > 0) != !o.split_column.empty(),
      "convert csv needs the test split: give --test-fraction F or --split-column NAME, not both");
  const Rows r = read_rows(path, o.header);
  const int columns = static_cast<int>(r.fields[0].size());
  const int label = column_of(o.label_column, r.header, columns, "--label-column", path);
  const int split =
      o.split_column.empty() ? -1 : column_of(o.split_column, r.header, columns, "--split-column", path);
  std::vector<int> features;
  for (int c = 0; c < columns; ++c)
    if (c != label && c != split) features.push_back(c);
  TANDEM_USAGE_CHECK(!features.empty(), "'", path, "' has no feature column besides the label");
  Table t;
  t.source = path;
  t.sample_shape = {static_cast<int64_t>(features.size())};
  const auto labels = class_indices(r, label, t.classes);
  for (size_t i = 0; i < r.fields.size(); ++i) {
    const std::string where = path + ":" + std::to_string(r.line[i]);
    TableSplit& s = t.splits[split < 0 ? "train" : split_of(r.fields[i][split], where)];
    for (const int c : features) {
      const std::string& text = r.fields[i][c];
      char* end = nullptr;
      const float v = std::strtof(text.c_str(), &end);
      const std::string name =
          r.header.empty() ? "column " + std::to_string(c) : "column '" + r.header[c] + "'";
      TANDEM_USAGE_CHECK(!text.empty() && *end == '\0' && std::isfinite(v), where, ": ", name, ": '", text,
                         "' is not a finite number (features must be numeric)");
      s.x.push_back(v);
    }
    s.labels.push_back(labels[i]);
    ++s.rows;
  }
  if (o.test_fraction > 0) hold_out(t, o.test_fraction, o.seed);
  return t;
}

}  // namespace tandem::data
