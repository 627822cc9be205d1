// LocalComm, the single-process communicator: one rank, and every collective an identity,
// through the Comm interface the rest of tandem sees.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "tandem/dist/comm.hpp"

namespace tandem {
namespace {

TEST(LocalComm, OneRankOnOneNode) {
  dist::LocalComm local;
  const dist::Comm& c = local;
  EXPECT_EQ(c.rank(), 0);
  EXPECT_EQ(c.size(), 1);
  EXPECT_EQ(c.local_rank(), 0);
  EXPECT_EQ(c.local_size(), 1);
  EXPECT_EQ(c.node_count(), 1);
  EXPECT_TRUE(c.is_root());
}

TEST(LocalComm, CollectivesLeaveTheDataAsItIs) {
  dist::LocalComm local;
  dist::Comm& c = local;
  std::vector<float> f = {1.5f, -2.0f, 3.25f};
  c.allreduce_sum(f.data(), 3);
  EXPECT_EQ(f, (std::vector<float>{1.5f, -2.0f, 3.25f}));
  std::vector<double> d = {0.1, 1e300};
  c.allreduce_sum(d.data(), 2);
  EXPECT_EQ(d, (std::vector<double>{0.1, 1e300}));
  c.allreduce_max(d.data(), 2);
  EXPECT_EQ(d, (std::vector<double>{0.1, 1e300}));
  int64_t bytes[2] = {7, -8};
  c.broadcast(bytes, sizeof bytes, 0);
  EXPECT_EQ(bytes[0], 7);
  EXPECT_EQ(bytes[1], -8);
  c.barrier();
  EXPECT_EQ(c.allgather(0xfeedull), (std::vector<uint64_t>{0xfeedull}));
}

TEST(LocalComm, NonBlockingAllreduceCompletesAtOnce) {
  dist::LocalComm local;
  dist::Comm& c = local;
  std::vector<float> f(1000, 2.0f);
  dist::Pending op;
  EXPECT_FALSE(op.active);
  c.start_allreduce_sum(f.data(), 1000, op);
  EXPECT_FALSE(op.active);
  EXPECT_TRUE(c.test(op));
  c.wait(op);
  EXPECT_FALSE(op.active);
  EXPECT_EQ(f, std::vector<float>(1000, 2.0f));
  // The handle can be reused.
  c.start_allreduce_sum(f.data(), 1000, op);
  EXPECT_TRUE(c.test(op));
}

}  // namespace
}  // namespace tandem
