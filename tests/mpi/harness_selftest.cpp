// Tests of the MPI test harness (tests/mpi/mpi_main.cpp) itself. Every test here FAILS ON
// PURPOSE and is not part of mpi_tests: tests/mpi/harness_selftest.sh runs one at a time
// under mpiexec -n 2 and checks that the job ends, non-zero, and that its output names the
// failing or stuck rank.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "mpi_env.hpp"

namespace tandem {
namespace {

using testing::g_world;

// Rank 1 leaves the test at a fatal assertion; without the harness rank 0 would wait in the
// allreduce below until CTest's timeout.
TEST(HarnessSelfTest, FatalFailureOnRank1BeforeACollective) {
  const int rank = g_world->rank();
  ASSERT_EQ(rank == 1 ? 42 : 0, 0) << "rank 1's deliberate fatal failure";
  double x = 1;
  g_world->allreduce_sum(&x, 1);
  EXPECT_EQ(x, g_world->size());
}

// Rank 1 fails an EXPECT and carries on: no hang, but rank 0 must fail the test too.
TEST(HarnessSelfTest, NonFatalFailureOnRank1FailsTheTestOnEveryRank) {
  EXPECT_NE(g_world->rank(), 1) << "rank 1's deliberate non-fatal failure";
  double x = 1;
  g_world->allreduce_sum(&x, 1);
  EXPECT_EQ(x, g_world->size());
}

// Rank 1 is stuck outside MPI (longer than the watchdog's 5 s): rank 0 waits in the barrier,
// and only the watchdog can end the job. (Had rank 1 gone on to a different collective, MPI's
// non-blocking collectives would report the mismatch as an error instead.)
TEST(HarnessSelfTest, Rank0StuckInACollectiveIsNamed) {
  if (g_world->rank() == 1) {
    std::this_thread::sleep_for(std::chrono::seconds(30));
    return;
  }
  g_world->barrier();
}

}  // namespace
}  // namespace tandem
