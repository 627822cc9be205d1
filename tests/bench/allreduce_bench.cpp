// Raw MPI_Allreduce (in place, float sum) time and bandwidth for a range of message sizes,
// the yardstick for tandem's gradient synchronization. Prints one JSON line per size.
//   mpirun -np 2 bench_allreduce [--bytes B ...] [--iters N]
#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  std::vector<long> sizes;
  int iters = 200;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--bytes") && i + 1 < argc)
      sizes.push_back(std::atol(argv[++i]));
    else if (!std::strcmp(argv[i], "--iters") && i + 1 < argc)
      iters = std::atoi(argv[++i]);
  }
  if (sizes.empty()) sizes = {4096, 65536, 262144, 1 << 20, 4 << 20, 16 << 20};
  for (long bytes : sizes) {
    std::vector<float> buf(static_cast<size_t>(bytes / 4), 1.0f);
    // Blocking MPI_Allreduce, then MPI_Iallreduce + MPI_Wait (the non-blocking path's own cost).
    for (int nonblocking = 0; nonblocking < 2; ++nonblocking) {
      std::vector<double> times;
      for (int it = 0; it < iters + 10; ++it) {
        MPI_Barrier(MPI_COMM_WORLD);
        const double t0 = MPI_Wtime();
        if (nonblocking) {
          MPI_Request req;
          MPI_Iallreduce(MPI_IN_PLACE, buf.data(), static_cast<int>(buf.size()), MPI_FLOAT, MPI_SUM,
                         MPI_COMM_WORLD, &req);
          MPI_Wait(&req, MPI_STATUS_IGNORE);
        } else {
          MPI_Allreduce(MPI_IN_PLACE, buf.data(), static_cast<int>(buf.size()), MPI_FLOAT, MPI_SUM,
                        MPI_COMM_WORLD);
        }
        const double t = MPI_Wtime() - t0;
        if (it >= 10) times.push_back(t);  // the first calls set up connections
      }
      // The slowest rank defines each call's time.
      std::vector<double> worst(times.size());
      MPI_Allreduce(times.data(), worst.data(), static_cast<int>(times.size()), MPI_DOUBLE, MPI_MAX,
                    MPI_COMM_WORLD);
      std::sort(worst.begin(), worst.end());
      const double median = worst[worst.size() / 2];
      if (rank == 0)
        std::printf(
            "{\"call\": \"%s\", \"ranks\": %d, \"bytes\": %ld, \"median_us\": %.1f, \"algbw_gb_s\": %.2f}\n",
            nonblocking ? "MPI_Iallreduce+MPI_Wait" : "MPI_Allreduce", size, bytes, median * 1e6,
            static_cast<double>(bytes) / median / 1e9);
    }
  }
  MPI_Finalize();
  return 0;
}
