#pragma once
// Elementwise kernels over contiguous float arrays.
#include <cstdint>

namespace tandem::kernels {

void fill(float* x, int64_t n, float value);
void copy(const float* x, float* y, int64_t n);
// y += x
void add(const float* x, float* y, int64_t n);
// x *= alpha
void scale(float* x, int64_t n, float alpha);
// Copies the row vector `row` [cols] into each of `rows` rows of y [rows, cols].
void broadcast_rows(const float* row, float* y, int64_t rows, int64_t cols);
// col[j] += sum over rows of x[rows, cols]
void sum_rows(const float* x, float* col, int64_t rows, int64_t cols);
// uint8 -> float with a scale factor.
void u8_to_float(const uint8_t* x, float* y, int64_t n, float scale);
double sum(const float* x, int64_t n);
// In double, eight independent lanes (vectorized, in a fixed order): sum x, sum (x - mean)^2,
// and sum a with sum a b in one pass.
double sum_double(const float* x, int64_t n);
double sum_squared_deviations(const float* x, int64_t n, double mean);
void sum_and_dot(const float* a, const float* b, int64_t n, double* sum_a, double* dot_ab);
double sum_squares(const float* x, int64_t n);
// |x - previous|^2 in double, and previous <- x: one pass (the change of an accumulating arena).
double sum_squares_of_change(const float* x, float* previous, int64_t n);
// Index of the largest element of each row of x [rows, cols].
// Error feedback (--grad-dtype bf16): c = x + residual; q = bf16(c); residual = c - q.
void to_bf16_with_feedback(const float* x, float* residual, uint16_t* q, int64_t n);
void from_bf16(const uint16_t* q, float* y, int64_t n);
void argmax_rows(const float* x, int64_t rows, int64_t cols, int32_t* out);
// The index of the first NaN or infinity in x[0..n), or -1 when every value is finite.
int64_t first_nonfinite(const float* x, int64_t n);

}  // namespace tandem::kernels
