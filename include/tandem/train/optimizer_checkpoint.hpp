#pragma once
// The optimizer's part of a checkpoint. Checkpoints always hold the full state, so a run
// resumes on any number of ranks, sharded or not: a sharded optimizer's pieces are gathered
// onto rank 0 to be written (io::restore_checkpoint keeps each rank's piece on reading).
#include <vector>

#include "tandem/dist/comm.hpp"
#include "tandem/dist/grad_sync.hpp"
#include "tandem/io/checkpoint.hpp"
#include "tandem/optim/optimizer.hpp"

namespace tandem::train {

// Collective when sharded. `storage` keeps the gathered arrays the record points into.
io::OptimizerRecord optimizer_checkpoint(optim::Optimizer& opt, const dist::GradientSync& sync,
                                         dist::Comm& comm, int64_t params,
                                         std::vector<std::vector<float>>& storage);

}  // namespace tandem::train
