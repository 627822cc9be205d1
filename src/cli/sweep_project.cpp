#include "sweep_project.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "tandem/core/error.hpp"
#include "tandem/core/strings.hpp"
#include "tandem/data/sampler.hpp"
#include "tandem/dist/grad_sync.hpp"
#include "tandem/train/projection.hpp"
#include "tandem/train/sweep.hpp"
#include "tandem/train/trainer.hpp"

namespace tandem::cli {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct MeasuredStep {
  double compute_s = 0;  // median over the timed steps of the slowest rank, gradient wait excluded
  double gradient_bytes = 0;
  int64_t messages = 0;  // buckets
};

// Times `steps` training steps of the job at --batch-size, each the slowest rank's step time
// less the time it waited for gradients: the node's compute (its own ranks' synchronization,
// overlapped with backward, included). Collective.
MeasuredStep measure_step(train::TrainConfig c, dist::Comm& comm, int64_t steps) {
  c.out.clear(), c.resume.clear();
  train::Trainer trainer(c, comm);
  data::Sampler sampler(trainer.train_data().labels(), c.batch_size, c.seed);
  sampler.start_epoch(0);
  constexpr int64_t kUntimed = 3;  // first steps touch cold memory
  std::vector<double> times;
  std::vector<int64_t> mine;
  for (int64_t s = 0; s < kUntimed + steps; ++s) {
    const int64_t b = s % sampler.batches();
    const auto shard = sampler.shard(b, comm.rank(), comm.size());
    mine.assign(shard.begin(), shard.end());
    comm.barrier();
    const double waited = trainer.grad_sync().wait_seconds();
    const auto t0 = Clock::now();
    trainer.step(mine, sampler.batch_size(b), 0);
    double t = seconds_since(t0) - (trainer.grad_sync().wait_seconds() - waited);
    comm.allreduce_max(&t, 1);
    if (s >= kUntimed) times.push_back(t);
  }
  MeasuredStep m;
  m.compute_s = median(times);
  const int64_t floats = trainer.grad_sync().buckets().back().end;
  m.gradient_bytes = static_cast<double>(floats) * sizeof(float);
  // Across nodes the gradient goes out in buckets (--grad-sync auto picks bucketed there).
  const auto cap = static_cast<int64_t>(c.bucket_mb * 1024 * 1024);
  m.messages =
      static_cast<int64_t>(dist::plan_buckets(floats, cap, std::min<int64_t>(cap, 256 * 1024)).size());
  return m;
}

// Median MPI allreduce times of this job at a few sizes (what bench_allreduce measures).
std::vector<train::AllreduceSample> measure_allreduce(dist::Comm& comm) {
  std::vector<train::AllreduceSample> samples;
  for (const int64_t bytes :
       {int64_t{4096}, int64_t{65536}, int64_t{262144}, int64_t{1} << 20, int64_t{4} << 20}) {
    std::vector<float> buf(static_cast<size_t>(bytes / 4), 1.0f);
    std::vector<double> times;
    for (int it = 0; it < 60; ++it) {
      comm.barrier();
      const auto t0 = Clock::now();
      comm.allreduce_sum(buf.data(), static_cast<int64_t>(buf.size()));
      double t = seconds_since(t0);
      comm.allreduce_max(&t, 1);
      if (it >= 10) times.push_back(t);
    }
    samples.push_back({comm.size(), static_cast<double>(bytes), median(times)});
  }
  return samples;
}

train::NetworkCost network(const ProjectArgs& a, dist::Comm& comm) {
  if (a.alpha_us > 0 || a.bandwidth_gbs > 0) {
    TANDEM_USAGE_CHECK(a.alpha_us > 0 && a.bandwidth_gbs > 0, "give both --alpha-us and --bandwidth-gbs");
    return {a.alpha_us * 1e-6, 1e-9 / a.bandwidth_gbs, "as given (--alpha-us, --bandwidth-gbs)"};
  }
  if (!a.allreduce.empty()) {
    auto net = train::fit_network(train::read_allreduce_bench(a.allreduce));
    net.source = "fitted to the MPI_Allreduce times of " + a.allreduce;
    return net;
  }
  TANDEM_USAGE_CHECK(comm.size() >= 2,
                     "one rank measures no allreduce: run under mpirun -np 2 or more, or give "
                     "--allreduce FILE (bench_allreduce output) or --alpha-us and --bandwidth-gbs");
  auto net = train::fit_network(measure_allreduce(comm));
  net.source = "fitted to MPI allreduce times measured by this job (" + std::to_string(comm.size()) +
               " ranks, 4 KiB to 4 MiB)";
  return net;
}

// The best steps to the target at each global batch of OUT/sweep.jsonl (per optimizer).
std::map<int64_t, train::SweepRecord> best_of_sweep(const std::string& out) {
  std::map<int64_t, train::SweepRecord> best;
  for (const auto& r : train::best_per_batch(train::read_sweep_file(out + "/sweep.jsonl"))) {
    const auto it = best.find(r.batch);
    if (it == best.end() || r.steps < it->second.steps) best[r.batch] = r;
  }
  return best;
}

std::string table(const train::ProjectionInputs& in, const std::vector<train::ProjectionRow>& rows,
                  const std::map<int64_t, train::SweepRecord>& sweep) {
  std::ostringstream s;
  s << "Weak scaling, projected (a model, not a measurement): " << in.node_batch
    << " samples per node per step; "
    << "a node's step " << fixed(in.step_compute_s * 1e3, 3) << " ms without communication (measured here); "
    << fixed(in.gradient_bytes / 1e6, 2) << " MB of gradient in " << in.messages << " bucket(s); network "
    << in.net.source << ": alpha " << fixed(in.net.alpha_s * 1e6, 2) << " us, "
    << fixed(1e-9 / in.net.beta_s_per_byte, 2) << " GB/s a link. Allreduce T(N) = m 2 ceil(log2 N) alpha + "
    << "2 (N-1)/N n beta. Step = compute + allreduce ('with overlap': max of the two). Every node as fast as "
    << "this one, no stragglers, no contention beyond the model.\n\n"
    << "| nodes | global batch | allreduce ms | step ms | samples/s | efficiency | with overlap |"
    << (sweep.empty() ? "" : " steps to target | time to target s |") << "\n|---|---|---|---|---|---|---|"
    << (sweep.empty() ? "" : "---|---|") << "\n";
  for (const auto& r : rows) {
    s << "| " << r.nodes << " | " << r.global_batch << " | " << fixed(r.allreduce_s * 1e3, 3) << " | "
      << fixed(r.step_s * 1e3, 3) << " | " << fixed(r.samples_per_s, 0) << " | " << fixed(r.efficiency, 3)
      << " | " << fixed(r.efficiency_overlap, 3) << " |";
    if (!sweep.empty()) {
      const auto it = sweep.find(r.global_batch);
      if (it == sweep.end())
        s << "  |  |";
      else
        s << " " << it->second.steps << " (" << it->second.optimizer << ") | "
          << fixed(static_cast<double>(it->second.steps) * r.step_s, 2) << " |";
    }
    s << "\n";
  }
  return s.str();
}

}  // namespace

int project_scaling(const train::TrainConfig& base, const ProjectArgs& a, const std::string& out,
                    dist::Comm& comm) {
  std::vector<int64_t> nodes;
  for (const auto& item : split(a.nodes, ", ")) nodes.push_back(parse_int(item, "--project"));
  TANDEM_USAGE_CHECK(!nodes.empty(),
                     "--project lists no node counts; give e.g. --project 1,4,16,64,256,1024");
  TANDEM_USAGE_CHECK(a.steps >= 1, "--project-steps must be 1 or more");
  const auto net = network(a, comm);
  const auto step = measure_step(base, comm, a.steps);
  train::ProjectionInputs in{step.compute_s, base.batch_size, step.gradient_bytes,
                             std::max<int64_t>(1, step.messages), net};
  const auto rows = train::project_weak_scaling(in, nodes);
  if (!comm.is_root()) return 0;
  const auto sweep = out.empty() ? std::map<int64_t, train::SweepRecord>() : best_of_sweep(out);
  const auto text = table(in, rows, sweep);
  std::cout << text;
  if (!out.empty()) {
    std::filesystem::create_directories(out);
    std::ofstream(out + "/projection.md") << "# tandem sweep --project\n\n" << text;
    std::cout << "written to " << out << "/projection.md\n";
  }
  return 0;
}

}  // namespace tandem::cli
