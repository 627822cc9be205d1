#include "tandem/train/rank_state.hpp"

#include <algorithm>

#include "tandem/core/error.hpp"
#include "tandem/io/checkpoint.hpp"
#include "tandem/tensor/kernels.hpp"

namespace tandem::train {

std::vector<float> gather_rank_states(dist::Comm& comm, std::span<const float> state) {
  const auto n = static_cast<int64_t>(state.size());
  std::vector<float> all(static_cast<size_t>(n * comm.size()), 0.0f);
  std::copy(state.begin(), state.end(), all.begin() + n * comm.rank());
  comm.allreduce_sum(all.data(), static_cast<int64_t>(all.size()));  // x + 0 is exact
  return all;
}

void restore_rank_state(const std::string& checkpoint, const std::string& name, int64_t written_ranks,
                        std::span<float> state, const dist::Comm& comm, OnOtherRanks rule) {
  std::vector<float> all;
  if (state.empty() || !io::read_run_array(checkpoint, name, all)) return;
  const auto n = static_cast<int64_t>(state.size());
  TANDEM_CHECK(static_cast<int64_t>(all.size()) == n * written_ranks, "'", checkpoint, "': /run/", name,
               " holds ", all.size(), " values, expected ", n * written_ranks);
  if (written_ranks == comm.size()) {
    std::copy(all.begin() + n * comm.rank(), all.begin() + n * (comm.rank() + 1), state.begin());
    return;
  }
  for (int64_t i = 0; i < n; ++i) {
    double sum = 0;
    for (int64_t r = 0; r < written_ranks; ++r) sum += all[r * n + i];
    const int64_t shares = rule == OnOtherRanks::kMean ? written_ranks : comm.size();
    state[i] = static_cast<float>(sum / static_cast<double>(shares));
  }
}

void average_unfrozen_states(dist::Comm& comm, graph::Graph& graph) {
  const auto& refs = graph.state_refs();
  if (std::none_of(refs.begin(), refs.end(), [&](const auto& r) { return graph.frozen(r.node); })) {
    average_rank_states(comm, graph.state());  // one collective
    return;
  }
  for (const auto& ref : refs)
    if (!graph.frozen(ref.node))
      average_rank_states(comm, graph.state().subspan(ref.offset, ref.spec.shape.numel()));
}

void average_rank_states(dist::Comm& comm, std::span<float> state) {
  if (comm.size() == 1 || state.empty()) return;
  comm.allreduce_sum(state.data(), static_cast<int64_t>(state.size()));
  kernels::scale(state.data(), static_cast<int64_t>(state.size()), 1.0f / static_cast<float>(comm.size()));
}

}  // namespace tandem::train
