#include "tandem/train/threads.hpp"

#include <algorithm>
#include <thread>

#include "tandem/core/error.hpp"
#include "tandem/tensor/blas.hpp"
#include "tandem/tensor/dnn.hpp"

namespace tandem::train {

int configure_threads(int requested, const dist::Comm& comm) {
  TANDEM_USAGE_CHECK(requested >= 0, "--threads must be >= 0 (0: automatic), got ", requested);
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  const int threads = requested > 0 ? requested : std::max(1, cores / comm.local_size());
  blas::set_threads(threads);  // dense layers and the rest of the BLAS work
  dnn::set_threads(threads);   // convolutions: oneDNN's OpenMP threads, one at a time with OpenBLAS's
  return threads;
}

}  // namespace tandem::train
