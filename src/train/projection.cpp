#include "tandem/train/projection.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>

#include "tandem/core/error.hpp"
#include "tandem/core/line_fit.hpp"
#include "tandem/train/metrics_file.hpp"

namespace tandem::train {
namespace {

double latency_rounds(int64_t nodes) {
  return 2.0 * std::ceil(std::log2(static_cast<double>(nodes)));
}
double bandwidth_factor(int64_t nodes) {
  return 2.0 * static_cast<double>(nodes - 1) / static_cast<double>(nodes);
}

}  // namespace

double allreduce_seconds(const NetworkCost& net, int64_t nodes, double bytes, int64_t messages) {
  if (nodes <= 1) return 0;
  return static_cast<double>(messages) * latency_rounds(nodes) * net.alpha_s +
         bandwidth_factor(nodes) * bytes * net.beta_s_per_byte;
}

NetworkCost fit_network(std::span<const AllreduceSample> samples) {
  TANDEM_USAGE_CHECK(!samples.empty(), "no allreduce measurements to fit");
  const int64_t ranks = samples.front().ranks;
  TANDEM_USAGE_CHECK(ranks >= 2, "allreduce measured on ", ranks,
                     " rank(s): run bench_allreduce on 2 or more");
  std::vector<double> bytes, seconds;
  for (const auto& s : samples) {
    TANDEM_USAGE_CHECK(s.ranks == ranks, "allreduce measurements at ", ranks, " and ", s.ranks,
                       " ranks: fit one rank count at a time");
    bytes.push_back(s.bytes), seconds.push_back(s.seconds);
  }
  // In relative error: the small sizes fix the latency, the large ones the bandwidth.
  const auto line = fit_line_relative(bytes, seconds);
  TANDEM_USAGE_CHECK(line.has_value(),
                     "allreduce measured at one message size only (or a time of 0): give at "
                     "least two sizes (--bytes)");
  const double slope = line->slope, intercept = line->intercept;
  TANDEM_USAGE_CHECK(slope > 0 && intercept > 0,
                     "the allreduce times do not fit latency + size/bandwidth (fit ", intercept * 1e6,
                     " us + ", slope * 1e9,
                     " ns/byte); measure on an idle machine, or give "
                     "--alpha-us and --bandwidth-gbs");
  NetworkCost net;
  net.alpha_s = intercept / latency_rounds(ranks);
  net.beta_s_per_byte = slope / bandwidth_factor(ranks);
  return net;
}

std::vector<AllreduceSample> read_allreduce_bench(const std::string& path) {
  std::ifstream in(path);
  TANDEM_USAGE_CHECK(in.good(), "cannot open '", path, "' (--allreduce): give the output of bench_allreduce");
  std::vector<AllreduceSample> samples;
  for (std::string line; std::getline(in, line);) {
    if (line.find("\"call\": \"MPI_Allreduce\"") == std::string::npos) continue;
    const auto v = parse_metrics_line(line);
    TANDEM_USAGE_CHECK(v.count("ranks") && v.count("bytes") && v.count("median_us"), "'", path,
                       "': not a bench_allreduce line: ", line);
    samples.push_back({static_cast<int64_t>(v.at("ranks")), v.at("bytes"), v.at("median_us") * 1e-6});
  }
  TANDEM_USAGE_CHECK(!samples.empty(), "'", path,
                     "' holds no MPI_Allreduce line of bench_allreduce (run "
                     "mpirun -np 2 build/tests/bench_allreduce > FILE)");
  return samples;
}

std::vector<ProjectionRow> project_weak_scaling(const ProjectionInputs& in, std::span<const int64_t> nodes) {
  TANDEM_USAGE_CHECK(in.step_compute_s > 0 && in.node_batch > 0, "a projection needs a measured step");
  std::vector<ProjectionRow> rows;
  const double one_node = static_cast<double>(in.node_batch) / in.step_compute_s;
  for (const int64_t n : nodes) {
    TANDEM_USAGE_CHECK(n >= 1, "--project lists ", n, " nodes; give counts of 1 or more");
    ProjectionRow r;
    r.nodes = n;
    r.global_batch = n * in.node_batch;
    r.allreduce_s = allreduce_seconds(in.net, n, in.gradient_bytes, in.messages);
    r.step_s = in.step_compute_s + r.allreduce_s;
    r.samples_per_s = static_cast<double>(r.global_batch) / r.step_s;
    r.efficiency = r.samples_per_s / (static_cast<double>(n) * one_node);
    r.efficiency_overlap = in.step_compute_s / std::max(in.step_compute_s, r.allreduce_s);
    rows.push_back(r);
  }
  return rows;
}

}  // namespace tandem::train
