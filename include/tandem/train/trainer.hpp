#pragma once
// The training loop: each rank runs forward and backward on its class-balanced share of every
// global batch (optionally in several micro-batches), gradients are summed across ranks while
// backward runs, and every rank applies the same optimizer step.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tandem/data/dataset.hpp"
#include "tandem/data/sampler.hpp"
#include "tandem/dist/comm.hpp"
#include "tandem/dist/grad_sync.hpp"
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
  std::optional<Evaluation> val;  // with --val-split
  double test_loss = 0, test_accuracy = 0;
  double lr = 0;
  double seconds = 0;  // training time of the epoch, evaluation excluded
  double samples_per_s = 0;
  double grad_wait_s = 0;  // time steps waited for gradient synchronization (this rank)
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
  const data::Dataset& train_data() const { return train_; }
  const dist::GradientSync& grad_sync() const { return *sync_; }
  // One optimizer step: this rank's share `ids` (rows of the training split) of a global
  // batch of `global` samples, run as config.accumulate micro-batches. All ranks call it.
  // Returns this rank's summed loss.
  double step(std::span<const int64_t> ids, int64_t global, int64_t epoch);
  // The micro-batch size the graph is planned for.
  int64_t micro_batch() const { return micro_batch_; }

 private:
  double micro_step(std::span<const int64_t> ids, int64_t global, int64_t epoch, bool sync_now);
  void describe_layout() const;
  // Local batch norm: each rank's running statistics are replaced by the ranks' mean.
  void average_state();

  TrainConfig config_;
  dist::Comm& comm_;
  data::Dataset train_, val_, test_;
  std::unique_ptr<model::Model> model_;
  std::unique_ptr<optim::Optimizer> optimizer_;
  std::unique_ptr<optim::Schedule> schedule_;
  std::unique_ptr<dist::GradientSync> sync_;
  std::function<void(int64_t)> on_grads_final_;  // feeds sync_ from backward (empty: no overlap)
  int64_t per_rank_batch_ = 0, micro_batch_ = 0, eval_chunk_ = 0;
  int64_t global_step_ = 0;
  double correct_ = 0;                       // training predictions right in the current epoch (this rank)
  std::vector<int32_t> labels_, predicted_;  // [micro-batch], reused every step
};

}  // namespace tandem::train
