#pragma once
// Weak scaling beyond this machine, projected from measured figures (a model, not a
// measurement): each node trains a fixed batch in a measured compute time per step, and the
// gradient allreduce between N nodes costs, in the model of Thakur, Rabenseifner and Gropp
// (2005) for large-count allreduce (reduce-scatter then allgather, recursive halving and
// doubling), T(N) = m·2⌈log2 N⌉·α + 2(N−1)/N·n·β for n bytes sent as m messages (buckets),
// with α the latency of one message and β the time per byte of one link.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace tandem::train {

struct AllreduceSample {  // one measured allreduce: bench_allreduce's median
  int64_t ranks = 0;
  double bytes = 0;
  double seconds = 0;
};

struct NetworkCost {
  double alpha_s = 0;          // latency of one message
  double beta_s_per_byte = 0;  // time per byte on one link (1/bandwidth)
  std::string source;          // where the figures came from, for the table's assumptions
};

// Allreduce time of `bytes` in `messages` messages between `nodes` nodes (0 for one node).
double allreduce_seconds(const NetworkCost& net, int64_t nodes, double bytes, int64_t messages = 1);

// α and β from allreduce times measured at one rank count P ≥ 2: the least-squares line
// t = a + b·bytes, unfolded through the model (a = 2⌈log2 P⌉α, b = 2(P−1)/P·β). UsageError when
// the samples span fewer than two sizes, mix rank counts, or give a negative α or β.
NetworkCost fit_network(std::span<const AllreduceSample> samples);

// The MPI_Allreduce lines of bench_allreduce's output (tests/bench/allreduce_bench.cpp);
// UsageError naming the file when it has none.
std::vector<AllreduceSample> read_allreduce_bench(const std::string& path);

struct ProjectionInputs {
  double step_compute_s = 0;  // one node's step without communication (measured)
  int64_t node_batch = 0;     // samples per node per step (weak scaling: fixed)
  double gradient_bytes = 0;  // summed per step
  int64_t messages = 1;       // buckets per step
  NetworkCost net;
};

struct ProjectionRow {
  int64_t nodes = 0;
  int64_t global_batch = 0;
  double allreduce_s = 0;
  double step_s = 0;              // compute then allreduce (no overlap: the pessimistic end)
  double samples_per_s = 0;       // global, at step_s
  double efficiency = 0;          // samples/s per node against one node's
  double efficiency_overlap = 0;  // the same were the allreduce hidden behind backward up to
                                  // the compute time (the optimistic end)
};

std::vector<ProjectionRow> project_weak_scaling(const ProjectionInputs& in, std::span<const int64_t> nodes);

}  // namespace tandem::train
