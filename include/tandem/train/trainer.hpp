#pragma once
// The training loop: each rank runs forward and backward on its class-balanced share of every
// global batch (optionally in several micro-batches), gradients are summed across ranks while
// backward runs, and every rank applies the same optimizer step.
#include <cstdint>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "tandem/data/augment.hpp"
#include "tandem/data/dataset.hpp"
#include "tandem/data/sampler.hpp"
#include "tandem/dist/comm.hpp"
#include "tandem/dist/grad_sync.hpp"
#include "tandem/io/checkpoint.hpp"
#include "tandem/model/model.hpp"
#include "tandem/optim/lbfgs.hpp"
#include "tandem/optim/optimizer.hpp"
#include "tandem/optim/schedule.hpp"
#include "tandem/train/callbacks.hpp"
#include "tandem/train/config.hpp"
#include "tandem/train/data_feed.hpp"
#include "tandem/train/evaluate.hpp"
#include "tandem/train/progress.hpp"
#include "tandem/train/schedule_every.hpp"

namespace tandem::train {

struct EpochRecord {
  int64_t epoch = 0;  // 1-based
  int64_t step = 0;   // global steps so far
  double train_loss = 0, train_accuracy = 0;
  std::optional<Evaluation> val;  // with --val-split
  double test_loss = 0, test_accuracy = 0;
  std::vector<std::pair<std::string, double>> test_head_loss;  // several losses: each one's (test_loss_NODE)
  double lr = 0;
  double seconds = 0;  // training time of the epoch, evaluation excluded
  double samples_per_s = 0;
  double grad_wait_s = 0;  // time steps waited for gradient synchronization (this rank)
  std::string json() const;
};

class Trainer {
 public:
  // Loads data and model, checks them against each other and across ranks; with
  // config.resume, restores the checkpoint (refusing a different model or dataset).
  Trainer(const TrainConfig& config, dist::Comm& comm);
  // Trains until config.epochs (or early stopping, or config.stop_after_steps), evaluating
  // after each epoch. With config.out: OUT/metrics.jsonl and metrics.csv, checkpoints
  // OUT/ckpt-STEP.h5, OUT/best.h5 and OUT/final.h5. Returns the epochs run by this call.
  std::vector<EpochRecord> run();
  const io::TrainProgress& progress() const { return progress_; }

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
  // After the last epoch: final.h5, peak memory, the final accuracy.
  void finish(const std::vector<EpochRecord>& history);
  // --optimizer lbfgs: one full-batch L-BFGS iteration per epoch (full_batch.cpp).
  std::vector<EpochRecord> run_full_batch();
  // Collective: the regularized mean loss over the whole training split at the current
  // parameters, its gradient in the gradient arena; identical on every rank.
  double full_batch_objective();
  void check_full_batch_setup() const;
  void resume_from(const std::string& path, const io::CheckpointMeta& meta);
  io::DataShape data_shape() const;
  // One optimizer group per parameter tensor, with --param-groups applied.
  std::vector<optim::ParamGroup> parameter_groups() const;
  double lr_for(int64_t epoch) const;
  // After the first step of a run: warns when softmax cross-entropy starts far from ln(C).
  void check_initial_loss(double loss_sum, double samples);
  // Collective: sums the epoch's statistics and rank 0 writes OUT/ckpt-STEP.h5.
  void write_checkpoint();
  void open_metric_files();
  void log_epoch(const EpochRecord& r);
  // Applies the epoch's callbacks; true when training should stop.
  bool end_of_epoch(const EpochRecord& r);
  void log_steps(int64_t epoch);
  void write_step_line(const std::string& json_line);
  // --hard-examples: merges the epoch's per-sample losses of all ranks and reweights sampling.
  void update_emphasis(data::Sampler& sampler);
  // Local batch norm: each rank's running statistics are replaced by the ranks' mean.
  void average_state();

  TrainConfig config_;
  dist::Comm& comm_;
  data::Dataset train_, val_, test_;
  std::unique_ptr<model::Model> model_;
  std::unique_ptr<optim::Optimizer> optimizer_;
  std::unique_ptr<optim::Schedule> schedule_;
  std::unique_ptr<dist::GradientSync> sync_;
  std::unique_ptr<data::Augmenter> augmenter_;
  std::unique_ptr<DataFeed> feed_;                // training rows into the model
  std::unique_ptr<ops::Loss> weighted_loss_;      // --class-weights around the first loss (training only)
  optim::Lbfgs* lbfgs_ = nullptr;                 // optimizer_ when it is L-BFGS
  double full_loss_ = 0, full_correct_ = 0;       // data loss and correct predictions of the last objective
  std::vector<optim::WeightRows> max_norm_rows_;  // weights as rows, for --max-norm
  std::function<void(int64_t)> on_grads_final_;   // feeds sync_ from backward (empty: no overlap)
  int64_t per_rank_batch_ = 0, micro_batch_ = 0, eval_chunk_ = 0;
  int64_t global_step_ = 0;
  io::TrainProgress progress_;        // position, callbacks' state
  std::vector<std::string> history_;  // metrics.jsonl lines so far (all epochs of the run)
  std::unique_ptr<Monitor> monitor_;
  CallbackConfig callbacks_;
  PlateauState plateau_;
  std::vector<float> best_params_, best_state_;
  Every checkpoint_every_;
  double last_checkpoint_time_ = 0;
  std::vector<std::string> kept_checkpoints_;  // rank 0, oldest first
  std::ofstream metrics_, csv_, steps_, steps_csv_;
  ProgressDisplay display_;
  // This epoch so far: summed loss and correct predictions of this rank, samples of all ranks.
  double loss_sum_ = 0, seen_ = 0;
  double window_loss_ = 0, window_seen_ = 0;  // since the last step line
  double correct_ = 0;                        // training predictions right in the current epoch (this rank)
  std::vector<double> recent_loss_, epoch_loss_;  // --hard-examples: per training sample (-1: unseen)
  std::vector<float> sample_loss_;                // [micro-batch]: each sample's loss (--hard-examples)
};

}  // namespace tandem::train
