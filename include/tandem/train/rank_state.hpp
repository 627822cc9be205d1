#pragma once
// --bn-sync local: each rank's batch-norm running statistics differ within an epoch (they are
// averaged at its end). A mid-epoch checkpoint keeps every rank's copy, so that a run resumed
// on the same number of ranks continues with exactly the statistics each rank had.
#include <span>
#include <string>
#include <vector>

#include "tandem/dist/comm.hpp"
#include "tandem/graph/graph.hpp"

namespace tandem::train {

// Collective: every rank's state, rank after rank [ranks x state], on every rank.
std::vector<float> gather_rank_states(dist::Comm& comm, std::span<const float> state);
// How copies written by another number of ranks map onto this run's ranks.
enum class OnOtherRanks {
  kMean,      // every rank takes their mean (batch-norm statistics)
  kShareSum,  // every rank takes their sum / ranks: what the ranks add up to is kept (residuals)
};
// Each rank's own copy from /run/NAME of a checkpoint written by `written_ranks` ranks; on
// another number of ranks, by `rule`. Nothing when the checkpoint has none.
void restore_rank_state(const std::string& checkpoint, const std::string& name, int64_t written_ranks,
                        std::span<float> state, const dist::Comm& comm, OnOtherRanks rule);
// Collective: every rank's state replaced by the ranks' mean.
void average_rank_states(dist::Comm& comm, std::span<float> state);
// The same for the state of the graph's nodes that are not frozen: a frozen batch norm's
// statistics are alike on every rank already, and averaging them could round them off.
void average_unfrozen_states(dist::Comm& comm, graph::Graph& graph);

}  // namespace tandem::train
