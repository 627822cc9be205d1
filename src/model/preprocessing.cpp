#include "tandem/model/preprocessing.hpp"

#include "tandem/tensor/blas.hpp"

namespace tandem::model {

void Preprocessing::apply(float* x, int64_t rows) {
  if (!active()) return;
  const auto d = static_cast<int64_t>(mean.size());
  for (int64_t r = 0; r < rows; ++r) {
    float* row = x + r * d;
    for (int64_t j = 0; j < d; ++j) row[j] -= mean[j];
    if (!scale.empty())
      for (int64_t j = 0; j < d; ++j) row[j] *= scale[j];
  }
  if (whiten.empty()) return;
  if (static_cast<int64_t>(buffer_.size()) < rows * d) buffer_.resize(static_cast<size_t>(rows * d));
  // x' = x W^T, row by row: [rows, D] x [D, D]^T
  blas::gemm(blas::Trans::kNo, blas::Trans::kYes, rows, d, d, 1.0f, x, d, whiten.data(), d, 0.0f,
             buffer_.data(), d);
  std::copy(buffer_.begin(), buffer_.begin() + rows * d, x);
}

}  // namespace tandem::model
