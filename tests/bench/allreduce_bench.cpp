// Gradient-exchange primitives, time and bandwidth for a range of message sizes: raw
// MPI_Allreduce and MPI_Iallreduce + MPI_Wait (the yardstick), and tandem's Comm ring
// reduce-scatter + allgather in fp32 (the blocking sync), in bf16 (--grad-dtype bf16, half the
// bytes), and the sharded step's fp32 reduce-scatter; then tandem's whole gradient exchange
// (dist::GradientSync::finish, with gather_params when sharded) in each mode, conversions and
// error feedback included. One JSON line per call and size; `bytes` is the fp32 gradient's
// size in every row. With `--mca btl self,tcp` the ranks talk over loopback TCP instead of
// shared memory (on this project's machine nearly as fast: no stand-in for a network).
//   mpirun -np 2 bench_allreduce [--bytes B ...] [--iters N]
#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <vector>

#include "tandem/dist/comm.hpp"
#include "tandem/dist/grad_sync.hpp"

namespace {

// The median over ranks' slowest of `iters` timed calls (after 10 warm-up calls).
double median_seconds(int iters, const std::function<void()>& call) {
  std::vector<double> times;
  for (int it = 0; it < iters + 10; ++it) {
    MPI_Barrier(MPI_COMM_WORLD);
    const double t0 = MPI_Wtime();
    call();
    const double t = MPI_Wtime() - t0;
    if (it >= 10) times.push_back(t);  // the first calls set up connections
  }
  std::vector<double> worst(times.size());
  MPI_Allreduce(times.data(), worst.data(), static_cast<int>(times.size()), MPI_DOUBLE, MPI_MAX,
                MPI_COMM_WORLD);
  std::sort(worst.begin(), worst.end());
  return worst[worst.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  tandem::dist::MpiSession session(&argc, &argv);
  auto comm = tandem::dist::make_world_comm();
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
    const auto n = static_cast<int64_t>(bytes / 4);
    std::vector<float> buf(static_cast<size_t>(n), 1.0f);
    std::vector<uint16_t> half(static_cast<size_t>(n), 0x3f80);  // bf16 1.0
    const auto pieces = tandem::dist::piece_bounds(n, comm->size());
    const int count = static_cast<int>(n);
    const std::pair<const char*, std::function<void()>> calls[] = {
        {"MPI_Allreduce",
         [&] { MPI_Allreduce(MPI_IN_PLACE, buf.data(), count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD); }},
        {"MPI_Iallreduce+MPI_Wait",
         [&] {
           MPI_Request req;
           MPI_Iallreduce(MPI_IN_PLACE, buf.data(), count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &req);
           MPI_Wait(&req, MPI_STATUS_IGNORE);
         }},
        {"ring fp32 reduce-scatter+allgather",
         [&] {
           comm->reduce_scatter_sum(buf.data(), pieces);
           comm->allgather(buf.data(), pieces);
         }},
        {"ring bf16 reduce-scatter+allgather",
         [&] {
           comm->reduce_scatter_sum(half.data(), pieces);
           comm->allgather(half.data(), pieces);
         }},
        {"ring fp32 reduce-scatter", [&] { comm->reduce_scatter_sum(buf.data(), pieces); }},
    };
    std::vector<float> params(buf.size(), 0.5f);
    using tandem::dist::GradDtype;
    const std::pair<const char*, tandem::dist::ExchangeOptions> modes[] = {
        {"exchange none", {GradDtype::kFp32, false}},
        {"exchange fp32", {GradDtype::kFp32, false}},
        {"exchange bf16", {GradDtype::kBf16, false}},
        {"exchange fp32 sharded", {GradDtype::kFp32, true}},
        {"exchange bf16 sharded", {GradDtype::kBf16, true}},
    };
    for (const auto& [name, call] : calls) {
      std::fill(buf.begin(), buf.end(), 1.0f);
      const double median = median_seconds(iters, call);
      if (comm->is_root())
        std::printf(
            "{\"call\": \"%s\", \"ranks\": %d, \"bytes\": %ld, \"median_us\": %.1f, \"algbw_gb_s\": %.2f}\n",
            name, comm->size(), bytes, median * 1e6, static_cast<double>(bytes) / median / 1e9);
    }
    // Each exchange starts from fresh gradients (the sums would overflow): the refill is timed
    // too, alone in the "exchange none" row.
    for (const auto& [name, options] : modes) {
      tandem::dist::GradientSync sync(*comm, buf, tandem::dist::GradSyncMode::kBlocking, bytes, bytes,
                                      options);
      const bool none = std::strcmp(name, "exchange none") == 0;
      const double median = median_seconds(iters, [&] {
        std::fill(buf.begin(), buf.end(), 1e-3f);
        if (none) return;
        sync.finish();
        sync.gather_params(params);
      });
      if (comm->is_root())
        std::printf(
            "{\"call\": \"%s\", \"ranks\": %d, \"bytes\": %ld, \"median_us\": %.1f, \"algbw_gb_s\": %.2f}\n",
            name, comm->size(), bytes, median * 1e6, static_cast<double>(bytes) / median / 1e9);
    }
  }
  return 0;
}
