// The elementwise kernels against scalar loops written here, over sizes that cover empty
// arrays, the 16-lane tails and the 4096-element blocks of the sums.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "../../support/random_floats.hpp"
#include "tandem/core/bf16.hpp"
#include "tandem/tensor/kernels.hpp"

namespace tandem {
namespace {

const std::vector<int64_t> kSizes = {0, 1, 15, 16, 17, 33, 4095, 4096, 4097, 8192 + 31, 100003};

std::vector<float> random_floats(size_t n, uint32_t stream, float lo = -1, float hi = 1) {
  return testing::uniform_floats(n, 31415, stream, lo, hi);
}

TEST(Kernels, FillCopyAddScale) {
  for (int64_t n : kSizes) {
    const auto x = random_floats(static_cast<size_t>(n), 1);
    std::vector<float> y(static_cast<size_t>(n) + 1, -9.0f);  // one guard element past the end
    kernels::fill(y.data(), n, 0.5f);
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(y[i], 0.5f);
    EXPECT_EQ(y[n], -9.0f);
    kernels::copy(x.data(), y.data(), n);
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(y[i], x[i]);
    EXPECT_EQ(y[n], -9.0f);
    const auto y0 = random_floats(static_cast<size_t>(n), 2);
    y.assign(y0.begin(), y0.end());
    kernels::add(x.data(), y.data(), n);
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(y[i], y0[i] + x[i]);
    kernels::scale(y.data(), n, -3.0f);
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(y[i], (y0[i] + x[i]) * -3.0f);
  }
}

TEST(Kernels, BroadcastRowsAndSumRows) {
  const int64_t rows = 5, cols = 7;
  const auto row = random_floats(cols, 3);
  std::vector<float> y(rows * cols, 0.0f);
  kernels::broadcast_rows(row.data(), y.data(), rows, cols);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < cols; ++j) ASSERT_EQ(y[r * cols + j], row[j]);
  // sum_rows accumulates into col: col[j] += sum over rows.
  const auto x = random_floats(rows * cols, 4);
  std::vector<float> col(cols, 1.0f);
  kernels::sum_rows(x.data(), col.data(), rows, cols);
  for (int64_t j = 0; j < cols; ++j) {
    double want = 1.0;
    for (int64_t r = 0; r < rows; ++r) want += x[r * cols + j];
    EXPECT_NEAR(col[j], want, 8 * std::numeric_limits<float>::epsilon() * (rows + 1)) << j;
  }
  std::vector<float> untouched(cols, 2.0f);
  kernels::sum_rows(x.data(), untouched.data(), 0, cols);
  EXPECT_EQ(untouched, std::vector<float>(cols, 2.0f));
}

TEST(Kernels, U8ToFloatScalesEveryByte) {
  std::vector<uint8_t> x(256);
  for (int i = 0; i < 256; ++i) x[i] = static_cast<uint8_t>(i);
  std::vector<float> y(256);
  kernels::u8_to_float(x.data(), y.data(), 256, 1.0f / 255);
  for (int i = 0; i < 256; ++i) ASSERT_EQ(y[i], static_cast<float>(i) * (1.0f / 255)) << i;
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_NEAR(y[255], 1.0f, 1e-7);
}

TEST(Kernels, SumCountsEveryElementOnce) {
  // Small integers add exactly in float and double, so the sum must be exact: any element
  // dropped or counted twice (lane tails, block edges) shows.
  for (int64_t n : kSizes) {
    std::vector<float> x(static_cast<size_t>(n));
    double want = 0;
    for (int64_t i = 0; i < n; ++i)
      want += x[i] = static_cast<float>(i % 7) - 3.0f + (i % 16 == 15 ? 100.0f : 0.0f);
    EXPECT_EQ(kernels::sum(x.data(), n), want) << n;
  }
}

TEST(Kernels, SumAndSumSquaresMatchDoubleLoops) {
  for (int64_t n : kSizes) {
    const auto x = random_floats(static_cast<size_t>(n), 5, -2, 3);
    double want = 0, abs = 0, squares = 0;
    for (float v : x) want += v, abs += std::fabs(v), squares += double(v) * v;
    // Each float lane sums at most 4096 / 16 = 256 values before joining the double total.
    EXPECT_NEAR(kernels::sum(x.data(), n), want, 256 * std::numeric_limits<float>::epsilon() * abs + 1e-30)
        << n;
    EXPECT_NEAR(kernels::sum_squares(x.data(), n), squares, 1e-12 * squares + 1e-30) << n;
  }
}

// The double-lane reductions batch norm uses: every product and sum in double, so they agree
// with a plain double loop to double rounding; a large mean checks the centred form.
TEST(Kernels, DoubleLaneSumsMatchDoubleLoops) {
  for (int64_t n : kSizes) {
    const auto a = random_floats(static_cast<size_t>(n), 7, 100, 101),
               b = random_floats(static_cast<size_t>(n), 8);
    double sum = 0, dot = 0, abs_dot = 0;
    for (int64_t i = 0; i < n; ++i)
      sum += a[i], dot += double(a[i]) * b[i], abs_dot += std::fabs(double(a[i]) * b[i]);
    const double mean = n > 0 ? sum / static_cast<double>(n) : 0.0;
    double deviations = 0;
    for (float v : a) deviations += (v - mean) * (v - mean);
    EXPECT_NEAR(kernels::sum_double(a.data(), n), sum, 1e-13 * sum + 1e-30) << n;
    EXPECT_NEAR(kernels::sum_squared_deviations(a.data(), n, mean), deviations, 1e-12 * deviations + 1e-30)
        << n;
    double got_sum = -1, got_dot = -1;
    kernels::sum_and_dot(a.data(), b.data(), n, &got_sum, &got_dot);
    EXPECT_NEAR(got_sum, sum, 1e-13 * sum + 1e-30) << n;
    EXPECT_NEAR(got_dot, dot, 1e-13 * abs_dot + 1e-30) << n;
  }
}

TEST(Kernels, ArgmaxRowsFindsEachRowsLargest) {
  const int64_t rows = 6, cols = 10;
  auto x = random_floats(rows * cols, 6, -5, -1);  // all negative
  const std::vector<int32_t> where = {0, 9, 3, 5, 9, 0};
  for (int64_t r = 0; r < rows; ++r) x[r * cols + where[r]] = -0.5f;
  std::vector<int32_t> out(rows, -1);
  kernels::argmax_rows(x.data(), rows, cols, out.data());
  EXPECT_EQ(out, where);
  // Against a scalar loop on random rows.
  const auto y = random_floats(100 * 13, 7);
  std::vector<int32_t> got(100);
  kernels::argmax_rows(y.data(), 100, 13, got.data());
  for (int64_t r = 0; r < 100; ++r) {
    int32_t best = 0;
    for (int32_t j = 1; j < 13; ++j)
      if (y[r * 13 + j] > y[r * 13 + best]) best = j;
    ASSERT_EQ(got[r], best) << r;
  }
}

}  // namespace
}  // namespace tandem

namespace tandem {
namespace {

// bf16 patterns from known floats: round to nearest, ties to even; NaN stays NaN.
TEST(Bf16, RoundsToNearestEven) {
  EXPECT_EQ(from_bf16(to_bf16(1.0f)), 1.0f);
  // Near 1 bf16 values are 2^-7 apart.
  EXPECT_EQ(from_bf16(to_bf16(1.0f + 1.0f / 256)), 1.0f);               // a tie: down to the even 1.0
  EXPECT_EQ(from_bf16(to_bf16(1.0f + 3.0f / 256)), 1.0f + 4.0f / 256);  // a tie: up to the even neighbour
  EXPECT_EQ(from_bf16(to_bf16(1.0f + 1.5f / 256)), 1.0f + 2.0f / 256);  // nearest
  EXPECT_EQ(from_bf16(to_bf16(1.0f + 0.9f / 256)), 1.0f);
  EXPECT_EQ(from_bf16(to_bf16(-3.0f)), -3.0f);
  EXPECT_TRUE(std::isnan(from_bf16(to_bf16(std::numeric_limits<float>::quiet_NaN()))));
  EXPECT_TRUE(std::isinf(from_bf16(to_bf16(std::numeric_limits<float>::infinity()))));
}

// Error feedback: what was sent over K steps plus the residual left is what came in, up to the
// float rounding of x + residual (about K float ulps); without it, each step loses up to 2^-9.
TEST(Bf16, ErrorFeedbackLosesNothingOverSteps) {
  const int64_t n = 1000;
  const int steps = 50;
  std::vector<float> residual(n, 0.0f), y(n);
  std::vector<uint16_t> q(n);
  std::vector<double> in(n, 0.0), sent(n, 0.0), plain(n, 0.0);
  for (int k = 0; k < steps; ++k) {
    const auto x = testing::uniform_floats(n, 27, static_cast<uint32_t>(k), -1e-3f, 1e-3f);
    kernels::to_bf16_with_feedback(x.data(), residual.data(), q.data(), n);
    kernels::from_bf16(q.data(), y.data(), n);
    for (int64_t i = 0; i < n; ++i) {
      in[i] += x[i];
      sent[i] += y[i];
      plain[i] += from_bf16(to_bf16(x[i]));
    }
  }
  double worst = 0, worst_plain = 0;
  for (int64_t i = 0; i < n; ++i) {
    worst = std::max(worst, std::abs(sent[i] + residual[i] - in[i]));
    worst_plain = std::max(worst_plain, std::abs(plain[i] - in[i]));
    EXPECT_LE(std::abs(residual[i]), 1e-3 / 256) << "the residual stays below one bf16 step of the values";
  }
  EXPECT_LE(worst, steps * 1e-3 * 1.2e-7);
  EXPECT_GT(worst_plain, 100 * worst);  // what error feedback saves
}

}  // namespace
}  // namespace tandem
