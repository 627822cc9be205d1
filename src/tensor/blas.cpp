#include "tandem/tensor/blas.hpp"

#include <cblas.h>

namespace tandem::blas {

void gemm(Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  cblas_sgemm(CblasRowMajor, ta == Trans::kYes ? CblasTrans : CblasNoTrans,
              tb == Trans::kYes ? CblasTrans : CblasNoTrans, static_cast<blasint>(m), static_cast<blasint>(n),
              static_cast<blasint>(k), alpha, a, static_cast<blasint>(lda), b, static_cast<blasint>(ldb),
              beta, c, static_cast<blasint>(ldc));
}

void axpy(int64_t n, float alpha, const float* x, float* y) {
  cblas_saxpy(static_cast<blasint>(n), alpha, x, 1, y, 1);
}

float dot(int64_t n, const float* x, const float* y) {
  return cblas_sdot(static_cast<blasint>(n), x, 1, y, 1);
}

void set_threads(int threads) {
  openblas_set_num_threads(threads);
}
int threads() {
  return openblas_get_num_threads();
}

}  // namespace tandem::blas
