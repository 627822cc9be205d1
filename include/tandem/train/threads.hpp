#pragma once
#include "tandem/dist/comm.hpp"

namespace tandem::train {

// Sets the BLAS threads of this rank: `requested` if positive, otherwise the node's cores
// divided among the ranks on that node. Returns the number set.
int configure_threads(int requested, const dist::Comm& comm);

}  // namespace tandem::train
