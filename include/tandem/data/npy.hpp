#pragma once
// NumPy .npy files (format versions 1-3, C order, any byte order) and their conversion to a
// tandem dataset. Errors name the file and what is wrong, down to the element.
#include <cstdint>
#include <string>
#include <vector>

#include "tandem/data/table.hpp"

namespace tandem::data {

struct NpyArray {
  std::vector<int64_t> shape;
  char kind = 'f';    // 'b' bool, 'i' signed, 'u' unsigned, 'f' float
  int item = 4;       // bytes per element
  bool swap = false;  // stored in the other byte order
  std::vector<char> bytes;
  int64_t count() const;
  // Element i as a double.
  double at(int64_t i) const;
};

NpyArray read_npy(const std::string& path);

struct NpyOptions {
  std::string x, y, test_x, test_y;  // train arrays; test arrays (both or neither)
  double test_fraction = 0;          // without test arrays: hold out this stratified fraction
  uint64_t seed = 1;
};

// x: [N, ...] of any numeric type (stored as float32). y: [N] integers (class indices, >= 0),
// or floats [N] / [N, K] (vector targets).
Table npy_table(const NpyOptions& options);

}  // namespace tandem::data
