#pragma once
// metrics.jsonl lines (flat JSON objects of numbers) and their CSV form.
#include <map>
#include <string>

namespace tandem::train {

// The numeric fields of one flat JSON object line; UsageError naming the line if malformed.
std::map<std::string, double> parse_metrics_line(const std::string& line);

// metrics.csv: a fixed column order; fields a line lacks (val_* without --val-split) are empty.
std::string metrics_csv_header();
std::string metrics_csv_row(const std::string& json_line);

}  // namespace tandem::train
