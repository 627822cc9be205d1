#pragma once
// The training loop: each rank runs forward and backward on its slice of every global batch,
// gradients are summed across ranks, and every rank applies the same optimizer step.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tandem/data/dataset.hpp"
#include "tandem/data/sampler.hpp"
#include "tandem/dist/comm.hpp"
#include "tandem/model/model.hpp"
#include "tandem/optim/optimizer.hpp"
#include "tandem/optim/schedule.hpp"
#include "tandem/train/config.hpp"
#include "tandem/train/evaluate.hpp"

namespace tandem::train {

struct EpochRecord {
  int64_t epoch = 0;  // 1-based
  int64_t step = 0;   // global steps so far
  double train_loss = 0, train_accuracy = 0;
  double test_loss = 0, test_accuracy = 0;
  double lr = 0;
  double seconds = 0;  // training time of the epoch, evaluation excluded
  double samples_per_s = 0;
  std::string json() const;
};

class Trainer {
 public:
  // Loads data and model, checks them against each other and across ranks.
  Trainer(const TrainConfig& config, dist::Comm& comm);
  // Trains for config.epochs, evaluating after each epoch; writes OUT/metrics.jsonl and
  // OUT/final.h5 when config.out is set.
  std::vector<EpochRecord> run();

  model::Model& model() { return *model_; }
  // One optimizer step on the given global batch of the training split (all ranks call it
  // with their own slice). Returns this rank's summed loss. Exposed for tests.
  double step(const int64_t* sample_ids, int64_t count, int64_t global, int64_t epoch);

 private:
  void describe_layout() const;

  TrainConfig config_;
  dist::Comm& comm_;
  data::Dataset train_, test_;
  std::unique_ptr<model::Model> model_;
  std::unique_ptr<optim::Optimizer> optimizer_;
  std::unique_ptr<optim::Schedule> schedule_;
  int64_t per_rank_batch_ = 0;
  int64_t global_step_ = 0;
  double correct_ = 0;                       // training predictions right in the current epoch (this rank)
  std::vector<int32_t> labels_, predicted_;  // [per-rank batch], reused every step
};

}  // namespace tandem::train
