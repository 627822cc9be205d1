// The weak-scaling projection (train/projection.hpp) against its closed form, and the fit of
// latency and bandwidth recovering the figures that generated the times.
#include "tandem/train/projection.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "tandem/core/error.hpp"

namespace tandem::train {
namespace {

const NetworkCost kNet{5e-6, 1.0 / 10e9, "test"};  // 5 us, 10 GB/s

TEST(Projection, AllreduceFollowsTheModelAndCostsNothingOnOneNode) {
  EXPECT_EQ(allreduce_seconds(kNet, 1, 1e6, 4), 0.0);
  // 4 nodes, 1 MB in 3 messages: 3·2·2 latencies + 2·3/4 of the bytes.
  EXPECT_NEAR(allreduce_seconds(kNet, 4, 1e6, 3), 12 * 5e-6 + 1.5 * 1e6 / 10e9, 1e-15);
  // 1,000 nodes round up to 10 halving rounds.
  EXPECT_NEAR(allreduce_seconds(kNet, 1000, 0, 1), 20 * 5e-6, 1e-15);
}

std::vector<AllreduceSample> generated(int64_t ranks, const NetworkCost& net) {
  std::vector<AllreduceSample> samples;
  for (const double bytes : {4096.0, 65536.0, 1048576.0, 16777216.0})
    samples.push_back({ranks, bytes, allreduce_seconds(net, ranks, bytes, 1)});
  return samples;
}

TEST(Projection, FitRecoversLatencyAndBandwidthAtAnyRankCount) {
  for (const int64_t ranks : {2, 4, 8}) {
    const auto net = fit_network(generated(ranks, kNet));
    EXPECT_NEAR(net.alpha_s, kNet.alpha_s, 1e-9 * kNet.alpha_s) << ranks << " ranks";
    EXPECT_NEAR(net.beta_s_per_byte, kNet.beta_s_per_byte, 1e-9 * kNet.beta_s_per_byte) << ranks << " ranks";
  }
}

TEST(Projection, FitRefusesWhatItCannotFit) {
  auto one_size = generated(2, kNet);
  one_size.resize(1);
  EXPECT_THROW(fit_network(one_size), UsageError);
  auto mixed = generated(2, kNet);
  mixed.push_back({4, 4096, 1e-5});
  EXPECT_THROW(fit_network(mixed), UsageError);
  EXPECT_THROW(fit_network(generated(1, kNet)), UsageError);  // no communication to measure
  // Times falling with size: no positive bandwidth term.
  EXPECT_THROW(fit_network(std::vector<AllreduceSample>{{2, 1000, 2e-5}, {2, 1e6, 1e-5}}), UsageError);
}

TEST(Projection, WeakScalingRowsMatchTheirClosedForm) {
  ProjectionInputs in{2e-3, 128, 4e6, 8, kNet};
  const std::vector<int64_t> nodes{1, 16, 1024};
  const auto rows = project_weak_scaling(in, nodes);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].global_batch, 128);
  EXPECT_DOUBLE_EQ(rows[0].efficiency, 1.0);
  EXPECT_DOUBLE_EQ(rows[0].samples_per_s, 128 / 2e-3);
  for (const auto& r : rows) {
    const double ar = r.nodes == 1 ? 0
                                   : 8 * 2 * std::log2(static_cast<double>(r.nodes)) * 5e-6 +
                                         2.0 * (r.nodes - 1) / r.nodes * 4e6 / 10e9;
    EXPECT_NEAR(r.allreduce_s, ar, 1e-12) << r.nodes;
    EXPECT_NEAR(r.efficiency, 2e-3 / (2e-3 + ar), 1e-12) << r.nodes;
    EXPECT_NEAR(r.efficiency_overlap, std::min(1.0, 2e-3 / ar), 1e-12) << r.nodes;
    EXPECT_EQ(r.global_batch, 128 * r.nodes);
  }
  EXPECT_LT(rows[2].efficiency, rows[1].efficiency);
  EXPECT_THROW(project_weak_scaling(in, std::vector<int64_t>{0}), UsageError);
}

TEST(Projection, ReadsTheBlockingAllreduceLinesOfBenchAllreduce) {
  const auto path = std::filesystem::temp_directory_path() / "tandem_projection_bench.jsonl";
  std::ofstream(path)
      << "{\"call\": \"MPI_Allreduce\", \"ranks\": 2, \"bytes\": 4096, \"median_us\": 12.5, "
         "\"algbw_gb_s\": 0.33}\n"
      << "{\"call\": \"MPI_Iallreduce+MPI_Wait\", \"ranks\": 2, \"bytes\": 4096, \"median_us\": "
         "14.0, \"algbw_gb_s\": 0.29}\n"
      << "{\"call\": \"MPI_Allreduce\", \"ranks\": 2, \"bytes\": 65536, \"median_us\": 30, "
         "\"algbw_gb_s\": 2.2}\n";
  const auto samples = read_allreduce_bench(path.string());
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[1].ranks, 2);
  EXPECT_DOUBLE_EQ(samples[1].bytes, 65536);
  EXPECT_DOUBLE_EQ(samples[0].seconds, 12.5e-6);
  std::ofstream(path) << "not a bench\n";
  EXPECT_THROW(read_allreduce_bench(path.string()), UsageError);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace tandem::train
