#pragma once
// Everything `tandem train` is configured with, typed. The in-class values are THE defaults:
// the option table (options.hpp) reads them for --help, the README and the INI reader, and a
// library user gets them with `TrainConfig c;`. Modes are enumerations parsed once where text
// enters; validate() checks every value in one place.
#include <cstdint>
#include <span>
#include <string>

#include "tandem/core/enum_names.hpp"
#include "tandem/data/curriculum.hpp"
#include "tandem/data/dataset.hpp"
#include "tandem/dist/grad_sync.hpp"
#include "tandem/model/preprocessing.hpp"
#include "tandem/optim/optimizer.hpp"
#include "tandem/optim/schedule.hpp"
#include "tandem/tensor/precision.hpp"
#include "tandem/train/batch_schedule.hpp"
#include "tandem/train/nonfinite_options.hpp"
#include "tandem/train/progress.hpp"
#include "tandem/train/schedule_every.hpp"

namespace tandem::train {

// Batch-norm statistics in training.
enum class BnSync { kGlobal, kLocal };
inline constexpr EnumName<BnSync> kBnSyncNames[] = {
    {BnSync::kGlobal, "global", "statistics over the global batch"},
    {BnSync::kLocal, "local", "over each rank's share, running statistics averaged after each epoch"},
};
constexpr std::span<const EnumName<BnSync>> enum_names(BnSync) {
  return kBnSyncNames;
}

// The metric best.h5, early stopping and reduce-on-plateau watch.
enum class Metric { kAuto, kValLoss, kValAccuracy, kTrainLoss, kTrainAccuracy, kTestLoss, kTestAccuracy };
inline constexpr EnumName<Metric> kMetricNames[] = {
    {Metric::kAuto, "auto", "val_loss with --val-split, else train_loss"},
    {Metric::kValLoss, "val_loss", "validation loss"},
    {Metric::kValAccuracy, "val_accuracy", "validation accuracy"},
    {Metric::kTrainLoss, "train_loss", "training loss of the epoch"},
    {Metric::kTrainAccuracy, "train_accuracy", "training accuracy of the epoch"},
    {Metric::kTestLoss, "test_loss", "test loss"},
    {Metric::kTestAccuracy, "test_accuracy", "test accuracy"},
};
constexpr std::span<const EnumName<Metric>> enum_names(Metric) {
  return kMetricNames;
}

// A metric value a run trains to (--target); Metric::kAuto: none.
struct Target {
  Metric metric = Metric::kAuto;
  double value = 0;
  bool active() const { return metric != Metric::kAuto; }
  bool operator==(const Target&) const = default;
};

struct TrainConfig {
  std::string data;   // HDF5 dataset
  std::string model;  // model-spec file ("" with resume: the checkpoint's spec)
  std::string out;    // output directory ("" writes nothing)
  int64_t epochs = 10;
  int64_t batch_size = 128;      // GLOBAL batch, split across ranks
  BatchSchedule batch_schedule;  // the global batch by epoch (empty: --batch-size x --accumulate)
  int64_t max_micro_batch = 0;   // split a rank's share into micro-batches of at most this (0: off)
  double lr = 0.05;
  uint64_t seed = 0;
  int threads = 0;          // BLAS threads per rank; 0 divides the node's cores among its ranks
  int64_t train_limit = 0;  // use only the first N training samples (0: all)
  int64_t test_limit = 0;
  data::DataMode data_mode = data::DataMode::kAuto;  // inputs read into memory, or streamed
  int64_t data_memory_mb = 4096;  // --data-mode auto: stream a split whose inputs take more (MiB)
  int64_t prefetch = 2;           // streamed: batches prepared ahead by a background thread
  data::DataCache data_cache = data::DataCache::kRank;  // splits in memory: per rank or per node
  bool no_check_finite = false;  // float inputs and targets read without refusing NaN/Inf
  int64_t eval_batch = 0;        // rows per evaluation chunk (0: the per-rank training batch)
  bool drop_last = false;        // skip the smaller last batch of an epoch
  double val_split = 0;          // fraction of the training split held out (stratified) for validation
  model::PreprocessMode preprocess = model::PreprocessMode::kNone;  // fitted on the training split
  double whiten_eps = 0.01;             // added to the covariance eigenvalues when whitening
  std::string class_weights;            // "" (none), "W0,W1,..." or "balanced": scales each sample's loss
  double hard_examples = 0;             // mix of loss-proportional sampling (data/hard_examples.hpp), 0: off
  double hard_cap = 5;                  // no sample's loss counts more than this x its class mean
  data::CurriculumSchedule curriculum;  // easiest samples first (data/curriculum.hpp), off by default
  std::string difficulty;               // file holding /train/difficulty ("": --data)
  std::string augment = "none";         // data::parse_augment(): training batches only
  // Data parallelism.
  int64_t accumulate = 1;  // micro-batches per rank per optimizer step
  dist::GradSyncMode grad_sync = dist::GradSyncMode::kAuto;
  double bucket_mb = 0.25;  // bucket byte cap (MiB), bucketed sync (measured: see README)
  dist::GradDtype grad_dtype = dist::GradDtype::kFp32;  // what the gradient exchange sends
  bool shard_optimizer = false;                         // ZeRO stage 1 (dist/grad_sync.hpp)
  BnSync bn_sync = BnSync::kGlobal;
  Precision precision = Precision::kFp32;
  optim::OptimizerConfig optimizer;
  std::string param_groups;  // optim::parse_group_rules(): per-tensor decay, L1, lr multiplier
  // Transfer (train/init_from.hpp, train/freeze.hpp): start from another model's parameters by
  // node name, renamed by 'OLD=NEW,...'; freeze the nodes matching 'PATTERN,...'.
  std::string init_from, init_map, freeze;
  double max_norm = 0;          // max-norm constraint on weight rows (0: off)
  double clip_grad_norm = 0;    // global gradient-norm clipping (0: off)
  NonfiniteOptions nonfinite;   // a step whose loss or gradient is not finite
  double hang_timeout = 600;    // seconds a rank waits in a collective before the job ends (0: off)
  int64_t gns_every = 10;       // the gradient noise scale every N steps (0: never; README: cost)
  double gns_ema = 0.95;        // decay of its moving averages
  int64_t overfit_batches = 0;  // train on this many fixed batches, regularization off (0: off)
  optim::ScheduleConfig schedule;
  optim::LrScaling lr_scaling = optim::LrScaling::kNone;  // the rate follows the global batch
  int64_t base_batch = 256;                               // the batch --lr is meant for
  double warmup_epochs = 0;  // Goyal's gradual warmup: from --lr to the scaled rate over E epochs
  // Lifecycle.
  std::string resume;  // checkpoint to continue from ("" starts afresh)
  Every checkpoint_every{Every::Unit::kEpochs, 1};
  int64_t keep_last = 2;  // checkpoints kept in OUT (oldest removed)
  Metric monitor = Metric::kAuto;
  double min_delta = 0;                         // improvement needed to count
  int64_t early_stop_patience = 0;              // epochs without improvement before stopping (0: off)
  int64_t plateau_patience = 0;                 // epochs without improvement before cutting the lr (0: off)
  double plateau_factor = 0.1;                  // lr multiplier on a plateau
  int64_t stop_after_steps = 0;                 // checkpoint and stop after this global step (0: off)
  Target target;                                // end the run when this metric reaches this value
  int64_t max_steps = 0;                        // end the run after this many global steps (0: --epochs only)
  int64_t log_every_steps = 0;                  // also write a metrics line every N steps (0: per epoch only)
  ProgressMode progress = ProgressMode::kAuto;  // rank 0's live display on stderr

  // Samples per optimizer step in `epoch`: the batch schedule's, else the global batch times
  // the micro-batches.
  int64_t step_batch(int64_t epoch = 0) const {
    return batch_schedule.batch_at(epoch, batch_size * accumulate);
  }
};

// Checks every value (ranges, names of optimizers and schedules, the --augment and
// --param-groups syntax) against `ranks` ranks; UsageError naming the option and the fix.
void validate(const TrainConfig& config, int ranks);

}  // namespace tandem::train
