#pragma once
#include "tandem/dist/comm.hpp"

namespace tandem::testing {
extern dist::Comm* g_world;  // MPI_COMM_WORLD, set by mpi_main
}
