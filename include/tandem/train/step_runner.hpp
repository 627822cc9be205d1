#pragma once
// One optimizer step of data-parallel training, the hot path: this rank's share of a global
// batch is gathered (augmented, preprocessed), run forward, its loss seeded with
// 1 / (samples in the global batch) and run backward as `accumulate` micro-batches; the
// gradients are summed across ranks (overlapping backward in bucketed mode), and the optimizer
// and the max-norm constraint update the parameters. Everything is sized at construction: a
// step allocates nothing.
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "tandem/data/augment.hpp"
#include "tandem/dist/grad_sync.hpp"
#include "tandem/model/model.hpp"
#include "tandem/optim/optimizer.hpp"
#include "tandem/train/data_feed.hpp"
#include "tandem/train/hard_example_table.hpp"
#include "tandem/train/noise_scale.hpp"

namespace tandem::train {

struct StepOptions {
  int64_t accumulate = 1;          // the most micro-batches a step has (every rank runs all, some empty)
  uint64_t seed = 0;               // keys dropout masks with (epoch, sample, node)
  bool dropout = true;             // false: dropout is the identity (--overfit-batches)
  double max_norm = 0;             // 0: no constraint
  bool overlap_sync = false;       // start bucket allreduces during backward (bucketed, several ranks)
  bool measure_grad_norm = false;  // the global gradient norm of every step (costs a pass over it)
  double clip_grad_norm = 0;       // scale the gradient down to this norm when above (0: off)
  // The gradient noise scale every N steps (0: never), from the ranks' shares, or on one rank
  // (gns_micro_batches) from the micro-batches of `accumulate`.
  int64_t gns_every = 0;
  bool gns_micro_batches = false;
};

class StepRunner {
 public:
  // The runner uses but does not own its parts. weighted_first: replaces the first loss in
  // training (class weights), may be null; hard: receives each sample's loss, may be null.
  // noise: receives the noise-scale measurements (gns_every > 0), may be null; comm: the
  // ranks it reduces them over.
  StepRunner(model::Model& model, DataFeed& feed, data::Augmenter& augmenter, optim::Optimizer& optimizer,
             dist::GradientSync& sync, const StepOptions& options, ops::Loss* weighted_first,
             HardExampleTable* hard, NoiseScale* noise = nullptr, dist::Comm* comm = nullptr);

  struct Result {
    double loss = 0;        // this rank's summed loss
    double correct = 0;     // this rank's correct predictions
    double grad_norm = -1;  // of the synchronized gradient, before clipping (-1: not measured)
    bool clipped = false;
    // The loss and the synchronized gradient were finite on every rank (the ranks agree); if
    // not, no update was made.
    bool finite = true;
  };
  // One step on this rank's rows `ids` of a global batch of `global` samples, during `epoch`
  // (0-based), at learning rate lr; `step` (1-based) numbers it. bounds
  // (accumulate + 1 offsets into ids) cut ids into the micro-batches (data::Sampler::micro_shards).
  // All ranks call it.
  Result step(std::span<const int64_t> ids, std::span<const int64_t> bounds, int64_t global, int64_t epoch,
              double lr, int64_t step);

  // The micro-batch size the graph must be planned for, given the per-rank batch.
  static int64_t micro_batch(int64_t per_rank_batch, int64_t accumulate) {
    return (per_rank_batch + accumulate - 1) / accumulate;
  }

 private:
  Result micro_step(std::span<const int64_t> ids, int64_t global, int64_t epoch, bool last);
  // The global gradient norm into r, and --clip-grad-norm applied.
  void clip(Result& r);
  // Whether the synchronized gradient is finite (before the ranks agree).
  bool grads_finite(const Result& r) const;
  // Test fault injection (TANDEM_FAULT_NAN_GRAD=STEP:RANK,...): a nan in one rank's gradient.
  struct Fault {
    int64_t step = -1;
    int rank = -1;
  };
  static std::vector<Fault> nan_gradient_faults();
  void inject_fault(int64_t step);
  void mark(int64_t step, dist::Phase phase) {
    if (comm_) comm_->mark(step, phase);
  }
  // Noise scale: the micro-batch just run (its own gradient is the arena's change since the
  // previous one), and the step's end.
  void measure_micro_batch(int64_t count, int64_t global);
  void end_noise_step(const Result& r, int64_t count, int64_t global);

  model::Model& model_;
  DataFeed& feed_;
  data::Augmenter& augmenter_;
  optim::Optimizer& optimizer_;
  dist::GradientSync& sync_;
  StepOptions options_;
  ops::Loss* weighted_first_;
  HardExampleTable* hard_;
  NoiseScale* noise_;
  dist::Comm* comm_;
  bool noise_due_ = false;                        // this step measures the noise scale
  std::vector<float> previous_grads_;             // gns_micro_batches: the arena before a micro-batch
  std::vector<optim::WeightRows> max_norm_rows_;  // weights as rows, for --max-norm
  std::function<void(int64_t)> on_grads_final_;   // feeds sync_ from backward (empty: no overlap)
  std::function<void(int64_t)> no_progress_;      // earlier micro-batches: nothing to report
  std::vector<float> sample_loss_;                // [micro-batch]: each sample's loss (hard examples)
  std::vector<Fault> faults_;
};

}  // namespace tandem::train
