#include <gtest/gtest.h>

#include <vector>

#include "mpi_env.hpp"
#include "tandem/core/bf16.hpp"
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

// Rank r's value at element i: varied magnitudes, so that the order of a sum shows in its bits.
float contribution(int r, int64_t i) {
  return (1.0f + 0.37f * static_cast<float>(r)) / (1.0f + static_cast<float>(i % 97)) +
         1e-4f * static_cast<float>((i * 7919 + r * 104729) % 1000);
}

// Piece c is added up from rank c + 1 round the ring to its owner c.
template <class Add>
auto ring_order_sum(int ranks, int c, int64_t i, Add add) {
  auto total = contribution((c + 1) % ranks, i);
  for (int k = 2; k <= ranks; ++k) total = add(total, contribution((c + k) % ranks, i));
  return total;
}

TEST(MpiComm, RingReduceScatterSumsEachPieceInTheRingOrder) {
  const int n = g_world->size(), r = g_world->rank();
  const int64_t count = 1003;  // pieces of unequal length
  const auto pieces = dist::piece_bounds(count, n);
  ASSERT_EQ(pieces.front(), 0);
  ASSERT_EQ(pieces.back(), count);
  for (int q = 0; q < n; ++q) EXPECT_EQ(pieces[q] % 16, 0) << "piece " << q << " starts off a cache line";
  std::vector<float> x(count);
  for (int64_t i = 0; i < count; ++i) x[i] = contribution(r, i);
  g_world->reduce_scatter_sum(x.data(), pieces);
  for (int64_t i = pieces[r]; i < pieces[r + 1]; ++i)
    ASSERT_EQ(x[i], ring_order_sum(n, r, i, [](float a, float b) { return a + b; })) << "element " << i;
  // Allgather completes the allreduce: every piece from its owner, the same bits everywhere.
  g_world->allgather(x.data(), pieces);
  for (int c = 0; c < n; ++c)
    for (int64_t i = pieces[c]; i < pieces[c + 1]; ++i)
      ASSERT_EQ(x[i], ring_order_sum(n, c, i, [](float a, float b) { return a + b; })) << "element " << i;
}

TEST(MpiComm, Bf16ReduceScatterRoundsEachAddition) {
  const int n = g_world->size(), r = g_world->rank();
  const int64_t count = 515;
  const auto pieces = dist::piece_bounds(count, n);
  std::vector<uint16_t> x(count);
  for (int64_t i = 0; i < count; ++i) x[i] = to_bf16(contribution(r, i));
  g_world->reduce_scatter_sum(x.data(), pieces);
  g_world->allgather(x.data(), pieces);
  auto add = [](float a, float b) {
    return from_bf16(to_bf16(from_bf16(to_bf16(a)) + from_bf16(to_bf16(b))));
  };
  for (int c = 0; c < n; ++c)
    for (int64_t i = pieces[c]; i < pieces[c + 1]; ++i) {
      float expected = from_bf16(to_bf16(contribution((c + 1) % n, i)));
      for (int k = 2; k <= n; ++k) expected = add(expected, contribution((c + k) % n, i));
      ASSERT_EQ(from_bf16(x[i]), expected) << "element " << i;
    }
}

TEST(MpiComm, GatherAndAllgatherOfDoubles) {
  const int n = g_world->size(), r = g_world->rank();
  const auto pieces = dist::piece_bounds(100, n);
  std::vector<float> piece(pieces[r + 1] - pieces[r]);
  for (size_t i = 0; i < piece.size(); ++i)
    piece[i] = static_cast<float>(pieces[r] + static_cast<int64_t>(i));
  std::vector<float> full(g_world->is_root() ? 100 : 0);
  g_world->gather(piece.data(), pieces, full.data(), 0);
  if (g_world->is_root()) {
    for (int i = 0; i < 100; ++i) EXPECT_EQ(full[i], static_cast<float>(i));
  }
  const double mine[2] = {0.5 * r, -1.0 * r};
  std::vector<double> all(2 * n);
  g_world->allgather(mine, 2, all.data());
  for (int q = 0; q < n; ++q) {
    EXPECT_EQ(all[2 * q], 0.5 * q);
    EXPECT_EQ(all[2 * q + 1], -1.0 * q);
  }
}

}  // namespace
}  // namespace tandem
