#include "tandem/tensor/kernels.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "tandem/core/bf16.hpp"
#include "tandem/core/multiversion.hpp"

namespace tandem::kernels {

TANDEM_MULTIVERSION void fill(float* x, int64_t n, float value) {
  std::fill(x, x + n, value);
}

TANDEM_MULTIVERSION void copy(const float* x, float* y, int64_t n) {
  if (n > 0) std::memcpy(y, x, static_cast<size_t>(n) * sizeof(float));
}

TANDEM_MULTIVERSION void add(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}

TANDEM_MULTIVERSION void scale(float* x, int64_t n, float alpha) {
  for (int64_t i = 0; i < n; ++i) x[i] *= alpha;
}

TANDEM_MULTIVERSION void broadcast_rows(const float* row, float* y, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) copy(row, y + r * cols, cols);
}

TANDEM_MULTIVERSION void sum_rows(const float* x, float* col, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    for (int64_t j = 0; j < cols; ++j) col[j] += xr[j];
  }
}

TANDEM_MULTIVERSION void u8_to_float(const uint8_t* x, float* y, int64_t n, float scale) {
  for (int64_t i = 0; i < n; ++i) y[i] = static_cast<float>(x[i]) * scale;
}

// Sixteen independent float lanes (vectorizable without reassociating one sum), combined
// in double; blocks keep each lane's float sum short.
double sum(const float* x, int64_t n) {
  constexpr int kLanes = 16;
  constexpr int64_t kBlock = 4096;
  double total = 0;
  for (int64_t b = 0; b < n; b += kBlock) {
    const int64_t end = std::min(n, b + kBlock);
    float lane[kLanes] = {};
    int64_t i = b;
    for (; i + kLanes <= end; i += kLanes)
      for (int j = 0; j < kLanes; ++j) lane[j] += x[i + j];
    for (; i < end; ++i) total += x[i];
    for (float v : lane) total += v;
  }
  return total;
}

// The sum of term(i) over [0, n) in eight independent double lanes: vectorizable without
// reassociating one sum, and no chain of dependent additions (a single accumulator ran at ~4
// cycles per element: a gradient norm then cost a tenth of an MLP step). Inlined into each
// instruction-set clone of its callers.
template <class Term>
[[gnu::always_inline]] inline double lane_sum(int64_t n, Term term) {
  constexpr int kLanes = 8;
  double lane[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) lane[j] += term(i + j);
  double s = 0;
  for (; i < n; ++i) s += term(i);
  for (const double v : lane) s += v;
  return s;
}

TANDEM_MULTIVERSION double sum_squares(const float* x, int64_t n) {
  return lane_sum(n, [x](int64_t i) { return static_cast<double>(x[i]) * x[i]; });
}

TANDEM_MULTIVERSION double sum_double(const float* x, int64_t n) {
  return lane_sum(n, [x](int64_t i) { return static_cast<double>(x[i]); });
}

TANDEM_MULTIVERSION double sum_squared_deviations(const float* x, int64_t n, double mean) {
  return lane_sum(n, [x, mean](int64_t i) {
    const double d = x[i] - mean;
    return d * d;
  });
}

TANDEM_MULTIVERSION void sum_and_dot(const float* a, const float* b, int64_t n, double* sum_a,
                                     double* dot_ab) {
  constexpr int kLanes = 8;
  double sa[kLanes] = {}, sab[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) {
      sa[j] += a[i + j];
      sab[j] += static_cast<double>(a[i + j]) * b[i + j];
    }
  double s = 0, d = 0;
  for (; i < n; ++i) s += a[i], d += static_cast<double>(a[i]) * b[i];
  for (int j = 0; j < kLanes; ++j) s += sa[j], d += sab[j];
  *sum_a = s, *dot_ab = d;
}

TANDEM_MULTIVERSION double sum_squares_of_change(const float* x, float* previous, int64_t n) {
  return lane_sum(n, [x, previous](int64_t i) {
    const float d = x[i] - previous[i];
    previous[i] = x[i];
    return static_cast<double>(d) * d;
  });
}

TANDEM_MULTIVERSION void to_bf16_with_feedback(const float* x, float* residual, uint16_t* q, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float c = x[i] + residual[i];
    q[i] = to_bf16(c);
    residual[i] = c - tandem::from_bf16(q[i]);
  }
}

TANDEM_MULTIVERSION void from_bf16(const uint16_t* q, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = tandem::from_bf16(q[i]);
}

TANDEM_MULTIVERSION void argmax_rows(const float* x, int64_t rows, int64_t cols, int32_t* out) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    out[r] = static_cast<int32_t>(std::max_element(xr, xr + cols) - xr);
  }
}

// A value is NaN or infinite when its exponent bits are all ones, i.e. when its magnitude bits
// are at least those of infinity: an integer max over a block (which vectorizes without
// -ffast-math), and only a block that fails is searched for the value.
TANDEM_MULTIVERSION int64_t first_nonfinite(const float* x, int64_t n) {
  constexpr uint32_t kInf = 0x7f800000u, kMagnitude = 0x7fffffffu;
  constexpr int64_t kBlock = 4096;
  for (int64_t b = 0; b < n; b += kBlock) {
    const int64_t e = std::min(n, b + kBlock);
    uint32_t worst = 0;
    for (int64_t i = b; i < e; ++i) {
      uint32_t bits;
      std::memcpy(&bits, x + i, sizeof bits);
      worst = std::max(worst, bits & kMagnitude);
    }
    if (worst < kInf) continue;
    for (int64_t i = b; i < e; ++i)
      if (!std::isfinite(x[i])) return i;
  }
  return -1;
}

}  // namespace tandem::kernels
