#pragma once
// CSV files to a tandem dataset: numeric feature columns, one label column (integers, used as
// class indices, or names, sorted into classes), and the test split from a split column or a
// stratified fraction. Errors name the file, line and column.
#include <cstdint>
#include <string>

#include "tandem/data/table.hpp"

namespace tandem::data {

struct CsvOptions {
  std::string label_column;  // a header name, or a 0-based column number
  bool header = false;       // the first line names the columns
  double test_fraction = 0;  // > 0: hold out this stratified fraction as the test split
  std::string split_column;  // or: a column of train / test / val per row
  uint64_t seed = 1;         // which rows the fraction holds out
};

Table read_csv(const std::string& path, const CsvOptions& options);

}  // namespace tandem::data
