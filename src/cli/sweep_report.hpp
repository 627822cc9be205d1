#pragma once
#include <string>
#include <vector>

#include "tandem/train/config.hpp"
#include "tandem/train/sweep.hpp"

namespace tandem::cli {

// OUT/report.md (tables of the best run per batch size and of all runs) and its plots
// OUT/steps_to_target.png, best_lr.png and noise_scale.png. Call on one rank.
void write_sweep_report(const std::string& out, const std::vector<train::SweepRecord>& records,
                        const train::TrainConfig& base);

}  // namespace tandem::cli
