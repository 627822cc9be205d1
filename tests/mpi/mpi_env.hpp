#pragma once
// For tests run under mpiexec by tests/mpi/mpi_main.cpp, whose harness prints every rank's
// failures with its rank, ends the job on a fatal failure (ASSERT_*) instead of letting the
// other ranks wait in a collective, names a rank stuck in a test (TANDEM_MPI_TEST_TIMEOUT,
// default 120 s) and fails a test on every rank when it failed on any.
#include "tandem/dist/comm.hpp"

namespace tandem::testing {
extern dist::Comm* g_world;  // MPI_COMM_WORLD, set by mpi_main
}
