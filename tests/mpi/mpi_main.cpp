// GoogleTest under mpiexec: every rank runs every test; only rank 0 prints results.
#include <gtest/gtest.h>

#include "mpi_env.hpp"

namespace tandem::testing {
dist::Comm* g_world = nullptr;
}

int main(int argc, char** argv) {
  tandem::dist::MpiSession mpi(&argc, &argv);
  auto world = tandem::dist::make_world_comm();
  tandem::testing::g_world = world.get();
  ::testing::InitGoogleTest(&argc, argv);
  if (world->rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  int failed = RUN_ALL_TESTS();
  // A test that failed on any rank fails everywhere (and so the ctest run).
  double f = failed;
  world->allreduce_max(&f, 1);
  return f > 0 ? 1 : 0;
}
