#pragma once
// Float inputs and targets must be finite: a NaN or an infinity in the data turns the loss
// into NaN at the first step that reads it, far from its cause. Checked where rows enter
// memory (a split loaded, or rows streamed in) with one vectorized pass.
#include <cstdint>
#include <string>

#include "tandem/tensor/kernels.hpp"

namespace tandem::data {

// Throws tandem::Error naming the file, the array (e.g. /train/x), the row within that file,
// the column (the value's index within its row) and the value, and what to do.
[[noreturn]] void throw_not_finite(const std::string& file, const std::string& object, int64_t row,
                                   int64_t column, float value);

// A row of an array in a file, for the message.
struct RowAt {
  std::string file, object;
  int64_t row;
};

// Checks rows x[rows, width]; locate(i) gives where row i is (called only on a failure).
template <class Locate>
void require_finite(const float* x, int64_t rows, int64_t width, Locate locate) {
  const int64_t bad = kernels::first_nonfinite(x, rows * width);
  if (bad < 0) return;
  const RowAt at = locate(bad / width);
  throw_not_finite(at.file, at.object, at.row, bad % width, x[bad]);
}

}  // namespace tandem::data
