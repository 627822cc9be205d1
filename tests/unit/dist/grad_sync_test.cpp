// Gradient buckets: plan_buckets' coverage and caps, and GradientSync over LocalComm in
// blocking and bucketed mode (one rank: the gradients come out as they went in).
#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "tandem/core/error.hpp"
#include "tandem/dist/grad_sync.hpp"

namespace tandem {
namespace {

using dist::Bucket;
using dist::plan_buckets;

// The buckets tile [0, floats) in order, none empty, the first within first_cap, the others
// within cap, and no more of them than needed.
void expect_valid_plan(int64_t floats, int64_t cap_bytes, int64_t first_cap_bytes) {
  SCOPED_TRACE("floats " + std::to_string(floats) + " cap " + std::to_string(cap_bytes) + " first " +
               std::to_string(first_cap_bytes));
  const auto plan = plan_buckets(floats, cap_bytes, first_cap_bytes);
  const int64_t cap = cap_bytes / 4, first = first_cap_bytes / 4;
  int64_t at = 0;
  for (size_t i = 0; i < plan.size(); ++i) {
    EXPECT_EQ(plan[i].begin, at) << "bucket " << i;
    EXPECT_GT(plan[i].end, plan[i].begin) << "bucket " << i;
    EXPECT_LE(plan[i].end - plan[i].begin, i == 0 ? first : cap) << "bucket " << i;
    at = plan[i].end;
  }
  EXPECT_EQ(at, floats);
  const int64_t minimal = floats == 0 ? 0 : floats <= first ? 1 : 1 + (floats - first + cap - 1) / cap;
  EXPECT_EQ(static_cast<int64_t>(plan.size()), minimal);
}

TEST(PlanBuckets, CoverTheArenaWithinTheCaps) {
  for (int64_t floats : {0, 1, 2, 3, 63, 64, 65, 100, 1000, 269322})
    for (int64_t cap : {4, 8, 256, 1000, 262144})
      for (int64_t first : {4, 16, 400, 262144}) expect_valid_plan(floats, cap, first);
}

TEST(PlanBuckets, ExactValues) {
  // 10 floats, first bucket 3 floats (12 bytes), then 4 floats (16 bytes).
  const auto p = plan_buckets(10, 16, 12);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].begin, 0);
  EXPECT_EQ(p[0].end, 3);
  EXPECT_EQ(p[1].end, 7);
  EXPECT_EQ(p[2].end, 10);
  // Exact multiples: 1 + 2 full buckets; caps in bytes round down to whole floats.
  EXPECT_EQ(plan_buckets(3 + 8, 16, 12).size(), 3u);
  EXPECT_EQ(plan_buckets(5, 7, 7).size(), 5u);  // 7 bytes hold 1 float
  EXPECT_TRUE(plan_buckets(0, 16, 16).empty());
  const auto one = plan_buckets(5, 1 << 20, 1 << 20);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].end, 5);
}

TEST(PlanBuckets, CapsBelowOneFloatAreRefused) {
  for (auto [cap, first] : {std::pair<int64_t, int64_t>{3, 16}, {16, 3}, {0, 0}}) {
    try {
      plan_buckets(10, cap, first);
      ADD_FAILURE() << "caps " << cap << ", " << first << " accepted";
    } catch (const UsageError& e) {
      EXPECT_EQ(std::string(e.what()), "--bucket-mb must hold at least one float");
    }
  }
}

TEST(GradSyncMode, ParsedByNameWithTheChoicesInTheError) {
  EXPECT_EQ(parse_enum<dist::GradSyncMode>("blocking", "--grad-sync"), dist::GradSyncMode::kBlocking);
  EXPECT_EQ(parse_enum<dist::GradSyncMode>("bucketed", "--grad-sync"), dist::GradSyncMode::kBucketed);
  EXPECT_EQ(parse_enum<dist::GradSyncMode>("auto", "--grad-sync"), dist::GradSyncMode::kAuto);
  // auto: blocking on one node (measured fastest there), bucketed across nodes.
  EXPECT_EQ(dist::resolve(dist::GradSyncMode::kAuto, 1), dist::GradSyncMode::kBlocking);
  EXPECT_EQ(dist::resolve(dist::GradSyncMode::kAuto, 2), dist::GradSyncMode::kBucketed);
  EXPECT_EQ(dist::resolve(dist::GradSyncMode::kBlocking, 2), dist::GradSyncMode::kBlocking);
  try {
    parse_enum<dist::GradSyncMode>("fast", "--grad-sync");
    FAIL() << "accepted 'fast'";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), "unknown --grad-sync 'fast'; use auto, blocking or bucketed");
  }
}

// One training step as backward drives it: ready() after each of `pieces`, then finish().
void step(dist::GradientSync& sync, int64_t floats, int pieces) {
  for (int p = 1; p <= pieces; ++p) sync.ready(floats * p / pieces);
  sync.finish();
}

TEST(GradientSync, BlockingOverLocalCommIsOneBucketAndLeavesGradients) {
  dist::LocalComm local;
  std::vector<float> grads(1000);
  std::iota(grads.begin(), grads.end(), -500.0f);
  const auto before = grads;
  dist::GradientSync sync(local, grads, dist::GradSyncMode::kBlocking, 256, 64);
  EXPECT_EQ(sync.mode(), dist::GradSyncMode::kBlocking);
  ASSERT_EQ(sync.buckets().size(), 1u);  // the caps do not apply to blocking mode
  EXPECT_EQ(sync.buckets()[0].begin, 0);
  EXPECT_EQ(sync.buckets()[0].end, 1000);
  for (int s = 0; s < 3; ++s) step(sync, 1000, 7);
  EXPECT_EQ(grads, before);
  EXPECT_GE(sync.wait_seconds(), 0.0);
  sync.reset_wait();
  EXPECT_EQ(sync.wait_seconds(), 0.0);
}

TEST(GradientSync, BucketedOverLocalCommFollowsThePlanAndLeavesGradients) {
  dist::LocalComm local;
  std::vector<float> grads(1000);
  std::iota(grads.begin(), grads.end(), 0.5f);
  const auto before = grads;
  dist::GradientSync sync(local, grads, dist::GradSyncMode::kBucketed, 256, 64);
  EXPECT_EQ(sync.mode(), dist::GradSyncMode::kBucketed);
  const auto plan = plan_buckets(1000, 256, 64);
  ASSERT_EQ(sync.buckets().size(), plan.size());
  for (size_t i = 0; i < plan.size(); ++i) {
    EXPECT_EQ(sync.buckets()[i].begin, plan[i].begin);
    EXPECT_EQ(sync.buckets()[i].end, plan[i].end);
  }
  // Several steps, readiness reported in coarse and fine pieces, and none at all.
  step(sync, 1000, 1);
  step(sync, 1000, 1000);
  sync.finish();
  EXPECT_EQ(grads, before);
}

TEST(GradientSync, EmptyArena) {
  dist::LocalComm local;
  std::vector<float> none;
  dist::GradientSync blocking(local, none, dist::GradSyncMode::kBlocking, 256, 64);
  dist::GradientSync bucketed(local, none, dist::GradSyncMode::kBucketed, 256, 64);
  EXPECT_TRUE(bucketed.buckets().empty());
  step(blocking, 0, 1);
  step(bucketed, 0, 1);
}

}  // namespace
}  // namespace tandem
