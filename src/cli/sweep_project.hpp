#pragma once
// tandem sweep --project: the weak-scaling planning table (train/projection.hpp) for the model
// and per-node batch of the sweep's options, from a step measured here and allreduce figures
// measured here, read from bench_allreduce's output, or given for a site's network.
#include <cstdint>
#include <string>

#include "tandem/dist/comm.hpp"
#include "tandem/train/config.hpp"

namespace tandem::cli {

struct ProjectArgs {
  std::string nodes;         // --project "1,2,4,..."
  std::string allreduce;     // --allreduce FILE: bench_allreduce output
  double alpha_us = 0;       // --alpha-us
  double bandwidth_gbs = 0;  // --bandwidth-gbs
  int64_t steps = 30;        // --project-steps: steps timed (after 3 unmeasured)
};

// Prints the table (rank 0) and, with an --out, writes OUT/projection.md; where OUT/sweep.jsonl
// reached the target at a projected global batch, adds the projected time to the target.
// Collective.
int project_scaling(const train::TrainConfig& base, const ProjectArgs& args, const std::string& out,
                    dist::Comm& comm);

}  // namespace tandem::cli
