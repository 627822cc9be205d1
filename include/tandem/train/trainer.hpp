#pragma once
// The training loop: orchestration of the pieces in this directory. Each rank runs forward
// and backward on its class-balanced share of every global batch (StepRunner), gradients are
// summed across ranks, and every rank applies the same optimizer step; after each epoch the
// run is evaluated exactly, logged (RunDirectory), and the callbacks decide (EpochCallbacks);
// StopPolicy decides when to checkpoint and stop. Everything a run depends on is in its
// checkpoints, so a resumed run ends bitwise where the uninterrupted one does.
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tandem/data/augment.hpp"
#include "tandem/data/dataset.hpp"
#include "tandem/data/sampler.hpp"
#include "tandem/dist/comm.hpp"
#include "tandem/dist/grad_sync.hpp"
#include "tandem/io/checkpoint.hpp"
#include "tandem/model/model.hpp"
#include "tandem/optim/optimizer.hpp"
#include "tandem/optim/schedule.hpp"
#include "tandem/train/callbacks.hpp"
#include "tandem/train/config.hpp"
#include "tandem/train/curriculum_table.hpp"
#include "tandem/train/data_feed.hpp"
#include "tandem/train/epoch_meter.hpp"
#include "tandem/train/epoch_record.hpp"
#include "tandem/train/hard_example_table.hpp"
#include "tandem/train/noise_scale.hpp"
#include "tandem/train/nonfinite_guard.hpp"
#include "tandem/train/progress.hpp"
#include "tandem/train/run_directory.hpp"
#include "tandem/train/step_runner.hpp"
#include "tandem/train/stop_policy.hpp"
#include "tandem/train/target.hpp"

namespace tandem::train {

class Trainer {
 public:
  // Loads the data and the model (config.model, or with config.resume the checkpoint's spec),
  // checks them against each other and across ranks, and with config.resume restores the
  // checkpoint (refusing another model or dataset). Collective.
  Trainer(const TrainConfig& config, dist::Comm& comm);
  // The same with a model built in C++ (model::ModelBuilder::spec()); config.model is ignored.
  Trainer(const TrainConfig& config, dist::Comm& comm, const model::ModelSpec& spec);
  ~Trainer();

  // Trains until config.epochs (or early stopping, or a stop request), evaluating after each
  // epoch. With config.out: OUT/metrics.jsonl and metrics.csv, checkpoints OUT/ckpt-STEP.h5,
  // OUT/best.h5 and OUT/final.h5. Returns the epochs run by this call. Collective.
  std::vector<EpochRecord> run();

  const TrainConfig& config() const { return config_; }
  model::Model& model() { return *model_; }
  const data::Dataset& train_data() const { return train_; }
  const data::Dataset& test_data() const { return test_; }
  const dist::GradientSync& grad_sync() const { return *sync_; }
  optim::Optimizer& optimizer() { return *optimizer_; }
  const io::TrainProgress& progress() const { return progress_; }
  // The gradient noise scale so far; null when not measured (--gns-every 0, or one rank
  // without --accumulate).
  const NoiseScale* noise_scale() const { return noise_.get(); }
  // Where the run met --target (reached is false when it did not, or has none).
  const TargetResult& target_result() const { return target_result_; }
  // One optimizer step at the scheduled rate: this rank's share `ids` (rows of the training
  // split) of a global batch of `global` samples, cut into the epoch's number of micro-batches
  // (--accumulate, --max-micro-batch), equal and contiguous (the training loop deals
  // class-balanced ones instead). All ranks call it.
  // Returns this rank's summed loss.
  double step(std::span<const int64_t> ids, int64_t global, int64_t epoch);
  // The micro-batch size the graph is planned for.
  int64_t micro_batch() const { return micro_batch_; }

 private:
  // Setup (trainer_setup.cpp).
  void set_up(const model::ModelSpec* spec);
  void load_splits();
  void load_data();
  void transfer();  // --init-from, then --freeze
  void agree_across_ranks();
  void build_training_parts();
  // The global batch of an epoch's steps, and how a rank runs its share.
  struct Batching {
    int64_t global = 0;         // samples in a step
    int64_t micro_batches = 1;  // --accumulate, or more for --max-micro-batch
    int64_t micro = 0;          // samples in the largest micro-batch of a rank
  };
  Batching batching(int64_t epoch) const;
  int64_t steps_in_epoch(int64_t epoch) const;
  double scaled_lr(int64_t epoch) const;  // --lr for the epoch's batch (--lr-scaling)
  void plan_batches();
  void build_schedule();
  void build_step_runner();
  void share_optimizer_step();
  void restore(const std::string& path);
  io::DataShape data_shape() const;
  bool coupled_shares() const;  // synchronized batch norm: rank gradients are not independent
  void describe_layout() const;
  // The loop (trainer.cpp).
  struct EpochRun {
    bool completed = false;  // false: stopped mid-epoch
    bool ended = false;      // the run ends here: --target reached or --max-steps spent
    double seconds = 0;      // training time, evaluation excluded
    double trained = 0;      // samples this call trained in the epoch
  };
  EpochRun train_epoch(data::Sampler& sampler, int64_t epoch);
  // This rank's ids of batch b (micro-batch bounds in bounds_); queues coming batches on the
  // prefetcher when there is one.
  std::span<const int64_t> step_ids(data::Sampler& sampler, int64_t b, int64_t batches, int64_t epoch,
                                    int64_t micro_batches);
  void start_prefetching();
  data::Sampler& sampler_for(int64_t epoch);
  // After a step: --target and --max-steps; true when the run ends here.
  bool run_ends(int64_t epoch, int64_t batch, int64_t batches);
  void end_run(std::vector<EpochRecord>& history);
  StepRunner::Result run_step(std::span<const int64_t> ids, std::span<const int64_t> bounds, int64_t global,
                              int64_t epoch);
  EpochRecord finish_epoch(data::Sampler& sampler, int64_t epoch, const EpochRun& done);
  bool apply_callbacks(const EpochRecord& r);  // true: stop
  void evaluate_into(EpochRecord& r);
  void log_epoch(const EpochRecord& r, std::vector<EpochRecord>& history);
  void log_steps(int64_t epoch);
  double lr_for(int64_t epoch) const;
  // A step every rank found not finite: --on-nonfinite (nonfinite_step.cpp). Collective.
  void after_nonfinite_step(std::span<const int64_t> ids, int64_t epoch);
  // "; sample N has ..." for the first of the step's rows whose inputs are not finite, over the
  // ranks (empty when there is none). Collective.
  std::string nonfinite_inputs(std::span<const int64_t> ids);
  void check_initial_loss(double loss_sum, double samples);
  void write_checkpoint();  // collective
  void finish(const std::vector<EpochRecord>& history);
  // --optimizer lbfgs (full_batch.cpp).
  std::vector<EpochRecord> run_full_batch();
  double full_batch_objective();
  void check_full_batch_setup() const;

  TrainConfig config_;                                 // as used (--overfit-batches turns regularization off)
  std::map<std::string, std::string> stored_options_;  // as given, threads resolved: saved with models
  dist::Comm& comm_;
  model::ModelSpec spec_;
  data::Dataset train_, val_, test_;
  std::unique_ptr<model::Model> model_;
  std::unique_ptr<data::Augmenter> augmenter_;
  std::unique_ptr<DataFeed> feed_;            // training rows into the model
  std::unique_ptr<Prefetcher> prefetch_;      // streamed data with --prefetch (reads for feed_)
  std::unique_ptr<ops::Loss> weighted_loss_;  // --class-weights around the first loss (training only)
  std::unique_ptr<optim::Optimizer> optimizer_;
  std::unique_ptr<optim::Schedule> schedule_;
  std::unique_ptr<dist::GradientSync> sync_;
  std::unique_ptr<HardExampleTable> hard_examples_;  // --hard-examples
  std::unique_ptr<CurriculumTable> curriculum_;      // --curriculum
  std::unique_ptr<NoiseScale> noise_;                // --gns-every, when ranks or micro-batches allow it
  std::unique_ptr<NonfiniteGuard> guard_;            // --on-nonfinite
  std::unique_ptr<StepRunner> runner_;
  std::unique_ptr<EpochCallbacks> callbacks_;
  std::unique_ptr<StopPolicy> stop_;
  std::unique_ptr<TargetWatch> target_;  // --target
  TargetResult target_result_;
  double run_start_ = 0;  // the clock at which training (of all invocations) began
  std::unique_ptr<RunDirectory> dir_;
  EpochMeter meter_;
  ProgressDisplay display_;
  // The position (epoch, batch, global step); the callbacks' and meter's fields are filled in
  // when a checkpoint is written: the pieces above hold the live values.
  io::TrainProgress progress_;
  std::vector<std::string> history_;  // metrics.jsonl lines so far (all epochs of the run)
  int64_t micro_batch_ = 0, eval_chunk_ = 0;
  int64_t max_micro_batches_ = 1;  // over the batch schedule
  std::vector<int64_t> bounds_;    // micro-batch boundaries of the step, reused
  // Prefetching: the step's ids and bounds (copies), the next batches' bounds, the last batch
  // queued and the misses seen (after a miss the queue was dropped: queue again).
  std::vector<int64_t> step_ids_, step_bounds_, next_bounds_;
  int64_t posted_until_ = -1, misses_seen_ = 0;
  std::unique_ptr<data::Sampler> sampler_;  // for the current epoch's batch
  int64_t sampler_global_ = 0;              // the batch it was made for
  double full_loss_ = 0,
         full_correct_ = 0;  // L-BFGS: data loss and correct predictions of the last objective
};

}  // namespace tandem::train
