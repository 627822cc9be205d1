// The BLAS wrappers against naive double-precision loops: gemm for every transpose
// combination, several alpha/beta values, padded leading dimensions and edge sizes; axpy
// and dot; the symmetric eigendecomposition against its defining equations.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "../../support/random_floats.hpp"
#include "tandem/tensor/blas.hpp"

namespace tandem {
namespace {

using blas::Trans;

std::vector<float> random_floats(size_t n, uint32_t stream) {
  return testing::uniform_floats(n, 2718, stream);
}

// C[m,n] = alpha op(A) op(B) + beta C, row-major with leading dimensions, in double.
// Also returns, per element, alpha * sum |a||b| + |beta c|: the scale of the rounding error.
void reference_gemm(Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, double alpha,
                    const std::vector<float>& a, int64_t lda, const std::vector<float>& b, int64_t ldb,
                    double beta, const std::vector<float>& c0, int64_t ldc, std::vector<double>& c,
                    std::vector<double>& scale) {
  c.assign(c0.begin(), c0.end());
  scale.assign(c0.size(), 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = 0, sa = 0;
      for (int64_t p = 0; p < k; ++p) {
        const double av = ta == Trans::kNo ? a[i * lda + p] : a[p * lda + i];
        const double bv = tb == Trans::kNo ? b[p * ldb + j] : b[j * ldb + p];
        s += av * bv;
        sa += std::fabs(av * bv);
      }
      const double old = c0[i * ldc + j];
      c[i * ldc + j] = alpha * s + (beta == 0 ? 0.0 : beta * old);
      scale[i * ldc + j] = std::fabs(alpha) * sa + std::fabs(beta * (beta == 0 ? 0.0 : old));
    }
}

struct Dims {
  int64_t m, n, k;
};

TEST(Blas, GemmMatchesANaiveDoubleLoopForAllTransposesAlphasAndBetas) {
  const std::vector<Dims> sizes = {{1, 1, 1}, {5, 7, 3}, {17, 13, 33}, {64, 1, 9}, {1, 50, 20}};
  int cases = 0;
  for (const auto& d : sizes)
    for (Trans ta : {Trans::kNo, Trans::kYes})
      for (Trans tb : {Trans::kNo, Trans::kYes})
        for (float alpha : {1.0f, 0.5f, -2.0f, 0.0f})
          for (float beta : {0.0f, 1.0f, 0.25f, -1.0f}) {
            // Stored shapes (row-major): A is [m, k] or [k, m], B is [k, n] or [n, k]; every
            // leading dimension is padded by 3 so that the wrapper must honour it.
            const int64_t a_rows = ta == Trans::kNo ? d.m : d.k, a_cols = ta == Trans::kNo ? d.k : d.m;
            const int64_t b_rows = tb == Trans::kNo ? d.k : d.n, b_cols = tb == Trans::kNo ? d.n : d.k;
            const int64_t lda = a_cols + 3, ldb = b_cols + 3, ldc = d.n + 3;
            const auto a = random_floats(static_cast<size_t>(a_rows * lda), 1);
            const auto b = random_floats(static_cast<size_t>(b_rows * ldb), 2);
            const auto c0 = random_floats(static_cast<size_t>(d.m * ldc), 3);
            std::vector<float> c = c0;
            blas::gemm(ta, tb, d.m, d.n, d.k, alpha, a.data(), lda, b.data(), ldb, beta, c.data(), ldc);
            std::vector<double> want, scale;
            reference_gemm(ta, tb, d.m, d.n, d.k, alpha, a, lda, b, ldb, beta, c0, ldc, want, scale);
            for (int64_t i = 0; i < d.m; ++i)
              for (int64_t j = 0; j < ldc; ++j) {
                const int64_t at = i * ldc + j;
                if (j >= d.n) {
                  ASSERT_EQ(c[at], c0[at]) << "padding of C written at (" << i << ", " << j << ")";
                  continue;
                }
                // float accumulation: a few k ulps of the magnitudes involved
                const double tol =
                    4.0 * (d.k + 2) * std::numeric_limits<float>::epsilon() * scale[at] + 1e-30;
                ASSERT_NEAR(c[at], want[at], tol)
                    << "m,n,k " << d.m << "," << d.n << "," << d.k << " ta " << (ta == Trans::kYes) << " tb "
                    << (tb == Trans::kYes) << " alpha " << alpha << " beta " << beta << " at (" << i << ", "
                    << j << ")";
              }
            ++cases;
          }
  EXPECT_EQ(cases, 5 * 4 * 16);
}

TEST(Blas, GemmWithBetaZeroIgnoresWhatCHeld) {
  // BLAS convention: with beta = 0, C is written, never read (NaN in C must not leak).
  const std::vector<float> a = {1, 2, 3, 4}, b = {5, 6, 7, 8};
  std::vector<float> c(4, std::numeric_limits<float>::quiet_NaN());
  blas::gemm(Trans::kNo, Trans::kNo, 2, 2, 2, 1.0f, a.data(), 2, b.data(), 2, 0.0f, c.data(), 2);
  EXPECT_EQ(c, (std::vector<float>{19, 22, 43, 50}));
}

TEST(Blas, GemmEdgeSizes) {
  const std::vector<float> a = {1, 2, 3}, b = {4, 5, 6};
  // m or n zero: nothing to write.
  std::vector<float> c = {7, 7, 7};
  blas::gemm(Trans::kNo, Trans::kNo, 0, 3, 1, 1.0f, a.data(), 1, b.data(), 3, 0.0f, c.data(), 3);
  blas::gemm(Trans::kNo, Trans::kNo, 3, 0, 1, 1.0f, a.data(), 1, b.data(), 1, 0.0f, c.data(), 1);
  EXPECT_EQ(c, (std::vector<float>{7, 7, 7}));
  // k = 1: an outer product; [1, 3] x [3, 1]: a dot product.
  std::vector<float> outer(9, 1.0f);
  blas::gemm(Trans::kNo, Trans::kNo, 3, 3, 1, 2.0f, a.data(), 1, b.data(), 3, 1.0f, outer.data(), 3);
  EXPECT_EQ(outer, (std::vector<float>{9, 11, 13, 17, 21, 25, 25, 31, 37}));
  float dot = 100;
  blas::gemm(Trans::kNo, Trans::kNo, 1, 1, 3, 1.0f, a.data(), 3, b.data(), 1, 0.0f, &dot, 1);
  EXPECT_EQ(dot, 32.0f);
  // k = 0: the product is empty, C = beta C.
  std::vector<float> scaled = {2, 4};
  blas::gemm(Trans::kNo, Trans::kNo, 1, 2, 0, 1.0f, a.data(), 1, b.data(), 2, 0.5f, scaled.data(), 2);
  EXPECT_EQ(scaled, (std::vector<float>{1, 2}));
}

TEST(Blas, AxpyAndDotMatchDoubleLoops) {
  for (int64_t n : {0, 1, 7, 1000, 4097}) {
    const auto x = random_floats(static_cast<size_t>(n), 4);
    auto y = random_floats(static_cast<size_t>(n), 5);
    const auto y0 = y;
    double want_dot = 0, scale = 0;
    for (int64_t i = 0; i < n; ++i)
      want_dot += double(x[i]) * y0[i], scale += std::fabs(double(x[i]) * y0[i]);
    EXPECT_NEAR(blas::dot(n, x.data(), y.data()), want_dot,
                4.0 * (n + 1) * std::numeric_limits<float>::epsilon() * scale + 1e-30)
        << n;
    blas::axpy(n, -0.75f, x.data(), y.data());
    for (int64_t i = 0; i < n; ++i) ASSERT_FLOAT_EQ(y[i], static_cast<float>(y0[i] - 0.75 * x[i])) << i;
  }
}

TEST(Blas, SymmetricEigenSatisfiesAvEqualsLambdaV) {
  // The 2x2 case by hand: [[2, 1], [1, 2]] has eigenvalues 1 and 3, eigenvectors (1, -1)/sqrt2
  // and (1, 1)/sqrt2 (up to sign).
  std::vector<double> two = {2, 1, 1, 2}, w2(2);
  blas::symmetric_eigen(2, two.data(), w2.data());
  EXPECT_NEAR(w2[0], 1.0, 1e-12);
  EXPECT_NEAR(w2[1], 3.0, 1e-12);
  EXPECT_NEAR(std::fabs(two[0]), std::sqrt(0.5), 1e-12);
  EXPECT_NEAR(two[0] + two[1], 0.0, 1e-12);  // row 0: (1, -1)/sqrt2
  EXPECT_NEAR(two[2] - two[3], 0.0, 1e-12);  // row 1: (1, 1)/sqrt2
  // A random symmetric 6x6 matrix: A v_k = w_k v_k, V orthonormal, w ascending, sum w = trace.
  const int64_t n = 6;
  const auto r = random_floats(n * n, 6);
  std::vector<double> a(n * n);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) a[i * n + j] = double(r[i * n + j]) + r[j * n + i];
  std::vector<double> v = a, w(n);
  blas::symmetric_eigen(n, v.data(), w.data());
  double trace = 0, wsum = 0;
  for (int64_t i = 0; i < n; ++i) trace += a[i * n + i], wsum += w[i];
  EXPECT_NEAR(wsum, trace, 1e-12);
  for (int64_t k = 0; k < n; ++k) {
    if (k > 0) {
      EXPECT_LE(w[k - 1], w[k]);
    }
    for (int64_t i = 0; i < n; ++i) {
      double av = 0;
      for (int64_t j = 0; j < n; ++j) av += a[i * n + j] * v[k * n + j];
      EXPECT_NEAR(av, w[k] * v[k * n + i], 1e-12) << "eigenpair " << k << " row " << i;
    }
    for (int64_t l = 0; l < n; ++l) {
      double dot = 0;
      for (int64_t j = 0; j < n; ++j) dot += v[k * n + j] * v[l * n + j];
      EXPECT_NEAR(dot, k == l ? 1.0 : 0.0, 1e-12);
    }
  }
}

TEST(Blas, ThreadsCanBeSet) {
  const int before = blas::threads();
  blas::set_threads(1);
  EXPECT_EQ(blas::threads(), 1);
  blas::set_threads(before);
  EXPECT_EQ(blas::threads(), before);
}

}  // namespace
}  // namespace tandem
