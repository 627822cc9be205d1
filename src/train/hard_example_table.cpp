#include "tandem/train/hard_example_table.hpp"

#include <algorithm>

#include "tandem/core/error.hpp"
#include "tandem/data/hard_examples.hpp"

namespace tandem::train {

HardExampleTable::HardExampleTable(std::span<const int32_t> labels, double mix, double cap)
    : labels_(labels), mix_(mix), cap_(cap), recent_(labels.size(), -1.0), epoch_(labels.size(), -1.0) {}

void HardExampleTable::record(std::span<const int64_t> ids, std::span<const float> losses) {
  for (size_t i = 0; i < ids.size(); ++i)  // drawn twice in an epoch: the larger loss, as across ranks
    epoch_[ids[i]] = std::max(epoch_[ids[i]], static_cast<double>(losses[i]));
}

void HardExampleTable::merge(dist::Comm& comm) {
  comm.allreduce_max(epoch_.data(), static_cast<int64_t>(epoch_.size()));
}

void HardExampleTable::end_epoch(data::Sampler& sampler, dist::Comm& comm) {
  merge(comm);
  for (size_t i = 0; i < epoch_.size(); ++i)
    if (epoch_[i] >= 0) recent_[i] = epoch_[i], epoch_[i] = -1;
  sampler.set_emphasis(data::emphasis_weights(labels_, recent_, mix_, cap_));
}

void HardExampleTable::resume(data::Sampler& sampler, int64_t epoch) const {
  // The first epoch draws permutations; every later one the weights of the epochs before it.
  if (epoch > 0) sampler.set_emphasis(data::emphasis_weights(labels_, recent_, mix_, cap_));
}

void HardExampleTable::save(dist::Comm& comm, std::vector<io::RunArray>& arrays) {
  merge(comm);  // the maximum is idempotent: merging early changes no later result
  arrays.push_back({"hard_examples_recent_loss", {}, recent_});
  arrays.push_back({"hard_examples_epoch_loss", {}, epoch_});
}

void HardExampleTable::restore(const std::string& checkpoint) {
  std::vector<double> recent, epoch;
  const bool found = io::read_run_array(checkpoint, "hard_examples_recent_loss", recent) &&
                     io::read_run_array(checkpoint, "hard_examples_epoch_loss", epoch);
  if (!found) return;  // written without --hard-examples: start from an empty table
  TANDEM_CHECK(recent.size() == recent_.size() && epoch.size() == epoch_.size(), "'", checkpoint,
               "': the hard-example tables hold ", recent.size(), " samples, the training split ",
               recent_.size());
  recent_ = std::move(recent);
  epoch_ = std::move(epoch);
}

}  // namespace tandem::train
