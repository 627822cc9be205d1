#include "tandem/tensor/blas.hpp"

#include <cblas.h>

#include <vector>

#include "tandem/core/error.hpp"

// LAPACK's Fortran interface, as exported by OpenBLAS.
extern "C" void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda,
                        double* w, double* work, const int* lwork, int* iwork, const int* liwork, int* info);

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

void symmetric_eigen(int64_t n, double* a, double* w) {
  // Column-major eigenvectors of a symmetric matrix are the rows of the row-major array.
  const int nn = static_cast<int>(n);
  int info = 0, lwork = -1, liwork = -1, iwork_size = 0;
  double work_size = 0;
  dsyevd_("V", "U", &nn, a, &nn, w, &work_size, &lwork, &iwork_size, &liwork, &info);  // workspace query
  TANDEM_CHECK(info == 0, "LAPACK dsyevd workspace query failed (info ", info, ")");
  lwork = static_cast<int>(work_size);
  liwork = iwork_size;
  std::vector<double> work(static_cast<size_t>(lwork));
  std::vector<int> iwork(static_cast<size_t>(liwork));
  dsyevd_("V", "U", &nn, a, &nn, w, work.data(), &lwork, iwork.data(), &liwork, &info);
  TANDEM_CHECK(info == 0, "LAPACK dsyevd failed to converge (info ", info, ") on a ", n, "x", n, " matrix");
}

void set_threads(int threads) {
  openblas_set_num_threads(threads);
}
int threads() {
  return openblas_get_num_threads();
}

}  // namespace tandem::blas
