#include "tandem/train/metrics_file.hpp"

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "tandem/core/error.hpp"

namespace tandem::train {
namespace {

const std::vector<std::string>& columns() {
  static const std::vector<std::string> c{
      "epoch",     "step",          "batch",  "train_loss", "train_accuracy", "val_loss",    "val_accuracy",
      "test_loss", "test_accuracy", "lr",     "seconds",    "samples_per_s",  "grad_wait_s", "grad_norm",
      "clipped",   "gns",           "gns_g2", "gns_trace",  "skipped_steps",  "rollbacks"};
  return c;
}

}  // namespace

std::map<std::string, double> parse_metrics_line(const std::string& line) {
  std::map<std::string, double> out;
  size_t i = line.find('{');
  TANDEM_USAGE_CHECK(i != std::string::npos, "metrics line is not a JSON object: ", line);
  for (;;) {
    const size_t q1 = line.find('"', i + 1);
    if (q1 == std::string::npos) break;
    const size_t q2 = line.find('"', q1 + 1);
    const size_t colon = line.find(':', q2 + 1);
    TANDEM_USAGE_CHECK(q2 != std::string::npos && colon != std::string::npos,
                       "malformed metrics line: ", line);
    const std::string key = line.substr(q1 + 1, q2 - q1 - 1);
    const char* start = line.c_str() + colon + 1;
    char* end = nullptr;
    const double v = std::strtod(start, &end);
    if (end != start) out[key] = v;
    i = static_cast<size_t>(end - line.c_str());
    const size_t comma = line.find(',', i);
    if (comma == std::string::npos) break;
    i = comma;
  }
  return out;
}

std::string metrics_csv_header() {
  std::string h;
  for (const auto& c : columns()) h += (h.empty() ? "" : ",") + c;
  return h;
}

std::string metrics_csv_row(const std::string& json_line) {
  const auto values = parse_metrics_line(json_line);
  std::string row;
  bool first = true;
  for (const auto& c : columns()) {
    if (!first) row += ",";
    first = false;
    if (auto it = values.find(c); it != values.end()) {
      char buf[40];
      std::snprintf(buf, sizeof buf, "%.10g", it->second);
      row += buf;
    }
  }
  return row;
}

}  // namespace tandem::train
