#include <gtest/gtest.h>

#include <vector>

#include "mpi_env.hpp"
#include "tandem/core/error.hpp"
#include "tandem/dist/sync.hpp"

namespace tandem {
namespace {

using testing::g_world;

TEST(MpiComm, AllreduceSumsOverRanks) {
  const int n = g_world->size(), r = g_world->rank();
  std::vector<float> f = {1.0f, static_cast<float>(r), static_cast<float>(r * r)};
  g_world->allreduce_sum(f.data(), 3);
  EXPECT_EQ(f[0], n);
  EXPECT_EQ(f[1], n * (n - 1) / 2);
  EXPECT_EQ(f[2], (n - 1) * n * (2 * n - 1) / 6);
  std::vector<double> d = {0.5 * r, 1e-3};
  g_world->allreduce_sum(d.data(), 2);
  EXPECT_DOUBLE_EQ(d[0], 0.25 * n * (n - 1));
  EXPECT_NEAR(d[1], 1e-3 * n, 1e-15);
  double m = r;
  g_world->allreduce_max(&m, 1);
  EXPECT_EQ(m, n - 1);
}

TEST(MpiComm, NonBlockingAllreduceAndBroadcast) {
  const int n = g_world->size(), r = g_world->rank();
  std::vector<float> big(100000, static_cast<float>(r + 1));
  dist::Pending op;
  g_world->start_allreduce_sum(big.data(), static_cast<int64_t>(big.size()), op);
  EXPECT_TRUE(op.active);
  while (!g_world->test(op)) {
  }
  EXPECT_FALSE(op.active);
  EXPECT_EQ(big.front(), n * (n + 1) / 2);
  EXPECT_EQ(big.back(), n * (n + 1) / 2);
  std::vector<float> b(5, static_cast<float>(r));
  dist::broadcast_floats(*g_world, b);
  EXPECT_EQ(b[4], 0.0f);
  const auto all = g_world->allgather(static_cast<uint64_t>(10 + r));
  ASSERT_EQ(static_cast<int>(all.size()), n);
  EXPECT_EQ(all[n - 1], static_cast<uint64_t>(9 + n));
}

TEST(MpiComm, DisagreementIsAnErrorOnEveryRankNotAHang) {
  dist::require_same(*g_world, 42, "a value everyone shares");
  const uint64_t mine = g_world->rank() == g_world->size() - 1 ? 7 : 42;
  try {
    dist::require_same(*g_world, mine, "the model spec");
    FAIL() << "expected a disagreement error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("ranks disagree on the model spec"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tandem
