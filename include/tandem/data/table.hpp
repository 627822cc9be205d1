#pragma once
// A dataset as the converters build it in memory (CSV, NumPy): per split, float32 samples of
// one shape and targets (int32 class indices, or float32 vectors), plus the class names;
// written in the tandem HDF5 layout (datasets/README.md).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tandem::data {

struct TableSplit {
  int64_t rows = 0;
  std::vector<float> x;         // rows x sample size
  std::vector<int32_t> labels;  // rows, when the targets are class indices
  std::vector<float> targets;   // rows x target_width otherwise
};

struct Table {
  std::vector<int64_t> sample_shape;         // per sample
  int64_t target_width = 0;                  // 0: class indices
  std::map<std::string, TableSplit> splits;  // "train", "test", "val"
  std::vector<std::string> classes;          // names of the class indices (class-index targets)
  std::string source;                        // provenance, stored as the `source` attribute

  int64_t sample_size() const;
};

// Moves a stratified `fraction` of the train split's rows (per class, drawn by `seed`; for
// vector targets, of all rows) into the test split; their order is otherwise kept.
void hold_out(Table& t, double fraction, uint64_t seed);

// Checks the table (a train and a test split, consistent sizes, labels within the classes)
// and writes it atomically; errors name the split and what is wrong.
void write_table(const Table& t, const std::string& out_path);

}  // namespace tandem::data
