#pragma once
// Everything `tandem train` is configured with, resolved from the command line and INI file.
#include <cstdint>
#include <map>
#include <string>

#include "tandem/optim/optimizer.hpp"
#include "tandem/optim/schedule.hpp"

namespace tandem::train {

struct TrainConfig {
  std::string data;   // HDF5 dataset
  std::string model;  // model-spec file
  std::string out;    // output directory ("" writes nothing)
  int64_t epochs = 10;
  int64_t batch_size = 128;  // GLOBAL batch, split across ranks
  double lr = 0.05;
  uint64_t seed = 0;
  int threads = 0;          // BLAS threads per rank; 0 divides the node's cores among its ranks
  int64_t train_limit = 0;  // use only the first N training samples (0: all)
  int64_t test_limit = 0;
  int64_t eval_batch = 0;           // rows per evaluation chunk (0: the per-rank training batch)
  bool drop_last = false;           // skip the smaller last batch of an epoch
  double val_split = 0;             // fraction of the training split held out (stratified) for validation
  std::string preprocess = "none";  // model::preprocess_modes(), fitted on the training split
  double whiten_eps = 0.01;         // added to the covariance eigenvalues when whitening
  std::string class_weights;        // "" (none), "W0,W1,..." or "balanced": scales each sample's loss
  double hard_examples = 0;         // mix of loss-proportional sampling (data/hard_examples.hpp), 0: off
  double hard_cap = 5;              // no sample's loss counts more than this x its class mean
  std::string augment = "none";     // data::parse_augment(): training batches only
  // Data parallelism.
  int64_t accumulate = 1;          // micro-batches per rank per optimizer step
  std::string grad_sync = "auto";  // auto | blocking | bucketed
  double bucket_mb = 0.25;         // bucket byte cap (MiB), bucketed sync (measured: see README)
  std::string bn_sync = "global";  // global | local batch-norm statistics
  optim::OptimizerConfig optimizer;
  std::string param_groups;     // optim::parse_group_rules(): per-tensor decay, L1, lr multiplier
  double max_norm = 0;          // max-norm constraint on weight rows (0: off)
  int64_t overfit_batches = 0;  // train on this many fixed batches, regularization off (0: off)
  optim::ScheduleConfig schedule;
  // Lifecycle.
  std::string resume;                       // checkpoint to continue from ("" starts afresh)
  std::string checkpoint_every = "1epoch";  // N steps | N epochs | N s | N min | "0": only at the end
  int64_t keep_last = 2;                    // checkpoints kept in OUT (oldest removed)
  std::string monitor = "auto";             // metric for best.h5, early stopping, plateau
  double min_delta = 0;                     // improvement needed to count
  int64_t early_stop_patience = 0;          // epochs without improvement before stopping (0: off)
  int64_t plateau_patience = 0;             // epochs without improvement before cutting the lr (0: off)
  double plateau_factor = 0.1;              // lr multiplier on a plateau
  int64_t stop_after_steps = 0;             // checkpoint and stop after this global step (0: off)
  int64_t log_every_steps = 0;              // also write a metrics line every N steps (0: per epoch only)
  // Every option as given or defaulted, stored with the model.
  std::map<std::string, std::string> resolved;
};

}  // namespace tandem::train
