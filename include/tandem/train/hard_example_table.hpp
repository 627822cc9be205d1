#pragma once
// --hard-examples: each training sample's most recent loss, merged across ranks at the end of
// every epoch (a sample drawn several times, on any ranks, keeps its largest loss), and the
// sampler's emphasis weights computed from it (data/hard_examples.hpp). Both tables, the one
// of finished epochs and the one being filled, go into checkpoints, so that a resumed run draws
// the same batches as the uninterrupted one.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tandem/data/sampler.hpp"
#include "tandem/dist/comm.hpp"
#include "tandem/io/checkpoint.hpp"

namespace tandem::train {

class HardExampleTable {
 public:
  // labels: the class of every training sample; mix and cap: --hard-examples, --hard-cap.
  HardExampleTable(std::span<const int32_t> labels, double mix, double cap);

  // A micro-batch's samples and each one's own loss.
  void record(std::span<const int64_t> ids, std::span<const float> losses);
  // Collective, after an epoch: merges the epoch's losses and sets the sampler's weights.
  void end_epoch(data::Sampler& sampler, dist::Comm& comm);
  // On resume in epoch `epoch` (0-based): the weights the sampler had in that epoch.
  void resume(data::Sampler& sampler, int64_t epoch) const;

  // Collective: merges the epoch so far and adds both tables to arrays (views: keep this
  // object alive while they are written).
  void save(dist::Comm& comm, std::vector<io::RunArray>& arrays);
  void restore(const std::string& checkpoint);

 private:
  void merge(dist::Comm& comm);

  std::span<const int32_t> labels_;
  double mix_, cap_;
  std::vector<double> recent_;  // per sample: loss in the last epoch that drew it (-1: never)
  std::vector<double> epoch_;   // per sample: largest loss this epoch (-1: not drawn yet)
};

}  // namespace tandem::train
