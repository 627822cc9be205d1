#pragma once
// Checkpoints: everything needed to continue a run exactly, in one HDF5 file readable with
// h5dump and h5py. The model part is a model file (model_file.hpp); on top of it:
//
//   /                    attrs format="tandem-checkpoint", format_version, tandem_version
//   /optimizer           attrs name, steps; datasets NAME (float32, parameter-arena layout)
//   /progress            attrs epoch (0-based, the epoch in progress), batch (next global batch
//                        of that epoch), global_step, epoch_loss_sum, epoch_correct,
//                        epoch_seen (the epoch's training sums so far, over all ranks),
//                        window_loss_sum, window_seen (--log-every-steps window),
//                        lr_scale (reduce-on-plateau), best_metric, bad_epochs, ranks
//   /data                attrs train_size, val_size, test_size, sample_shape, classes
//   /history             attr lines: every metrics.jsonl line so far
//   /run/NAME            arrays a run keeps besides the model and optimizer (early stopping's
//                        best weights, the hard-example loss table, per-rank batch-norm
//                        statistics, every rank's --grad-dtype bf16 residual): float32 or
//                        float64, written and read by name
// The optimizer's arrays are always the whole arena's, also from a sharded run.
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "tandem/model/model.hpp"
#include "tandem/optim/optimizer.hpp"

namespace tandem::io {

inline constexpr int64_t kCheckpointFormatVersion = 1;

struct TrainProgress {
  int64_t epoch = 0;        // the epoch in progress (0-based)
  int64_t batch = 0;        // next global batch within it
  int64_t global_step = 0;  // optimizer steps so far
  double epoch_loss_sum = 0, epoch_correct = 0, epoch_seen = 0;
  // --log-every-steps: the training-loss sum and samples since the last step line (all ranks).
  double window_loss_sum = 0, window_seen = 0;
  // Gradient norms (--clip-grad-norm): their sum, the steps measured and clipped, for the epoch
  // and the window (the same on every rank).
  double epoch_grad_norm_sum = 0, epoch_grad_norm_steps = 0, epoch_clipped = 0;
  double window_grad_norm_sum = 0, window_grad_norm_steps = 0;
  // The gradient noise scale's moving averages and the steps they have seen.
  double gns_ema_g2 = 0, gns_ema_trace = 0;
  int64_t gns_steps = 0;
  // Training samples processed and wall seconds of training (evaluations included) so far.
  double samples_trained = 0, train_seconds = 0;
  double lr_scale = 1.0;  // multiplies the schedule (reduce-on-plateau)
  // --on-nonfinite: the rate factor of the rollbacks so far, and the run's skipped steps and
  // rollbacks.
  double nonfinite_lr_scale = 1.0;
  int64_t skipped_steps = 0, rollbacks = 0;
  double best_metric = 0;
  int64_t best_epoch = 0;  // 0: none yet
  int64_t bad_epochs = 0;  // epochs without improvement (early stopping, plateau)
  int64_t ranks = 1;       // informational: the run that wrote it
};

struct DataShape {
  int64_t train_size = 0, val_size = 0, test_size = 0, classes = 0;
  std::string sample_shape;
};

struct CheckpointMeta {
  std::string spec_text;
  std::map<std::string, std::string> config;
  TrainProgress progress;
  DataShape data;
  std::vector<std::string> history;
  std::string tandem_version;
};

// One /run/NAME array: exactly one of f32 and f64 is non-empty.
struct RunArray {
  std::string name;
  std::span<const float> f32;
  std::span<const double> f64;
};

// The optimizer's part of a checkpoint: its name, steps and state over the whole arena (a
// sharded run gathers its pieces first).
struct OptimizerRecord {
  std::string name;
  int64_t steps = 0;
  std::vector<RunArray> state;  // f32
};
// An unsharded optimizer's own arrays (sized first, as its first step would).
OptimizerRecord optimizer_record(optim::Optimizer& opt, int64_t params);

// Atomic (PATH.tmp, flushed, synced, renamed); call on one rank.
void save_checkpoint(const std::string& path, model::Model& m, const OptimizerRecord& opt,
                     const std::map<std::string, std::string>& config, const TrainProgress& progress,
                     const DataShape& data, const std::vector<std::string>& history,
                     std::span<const RunArray> run_arrays = {});
inline void save_checkpoint(const std::string& path, model::Model& m, optim::Optimizer& opt,
                            const std::map<std::string, std::string>& config, const TrainProgress& progress,
                            const DataShape& data, const std::vector<std::string>& history,
                            std::span<const RunArray> run_arrays = {}) {
  save_checkpoint(path, m, optimizer_record(opt, m.graph.param_count()), config, progress, data, history,
                  run_arrays);
}

// /run/NAME into out (resized); false when the checkpoint has no such array.
bool read_run_array(const std::string& path, const std::string& name, std::vector<float>& out);
bool read_run_array(const std::string& path, const std::string& name, std::vector<double>& out);

// Everything but the arrays; throws naming the file when it is not a tandem checkpoint.
CheckpointMeta read_checkpoint_meta(const std::string& path);

// Parameters, running statistics and optimizer state into a model built from the same spec.
void restore_checkpoint(const std::string& path, model::Model& m, optim::Optimizer& opt);

}  // namespace tandem::io
