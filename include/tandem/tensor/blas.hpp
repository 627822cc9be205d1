#pragma once
// The BLAS wrappers: all heavy math goes through OpenBLAS. Row-major throughout.
#include <cstdint>

namespace tandem::blas {

enum class Trans { kNo, kYes };

// C[m,n] = alpha * op(A)[m,k] * op(B)[k,n] + beta * C, with leading dimensions of the
// matrices as stored (row-major).
void gemm(Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

// y += alpha * x
void axpy(int64_t n, float alpha, const float* x, float* y);
float dot(int64_t n, const float* x, const float* y);

// Eigendecomposition of the symmetric matrix a [n, n] (LAPACK dsyevd from OpenBLAS): on return
// w holds the eigenvalues in ascending order and row k of a the unit eigenvector of w[k].
void symmetric_eigen(int64_t n, double* a, double* w);

// Threads OpenBLAS may use in this process.
void set_threads(int threads);
int threads();

}  // namespace tandem::blas
