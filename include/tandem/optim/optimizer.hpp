#pragma once
// Optimizers update the flat parameter arena from the flat gradient arena. Their state
// (moments, step count) is a first-class object: named arrays a checkpoint can save and load.
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "tandem/core/registry.hpp"

namespace tandem::optim {

// Defaults here are the defaults of `tandem train` (its option table reads them).
struct OptimizerConfig {
  std::string name = "momentum";                  // a key of optimizer_registry()
  double momentum = 0.9;                          // momentum and nesterov
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  // adam, adamw (eps also adagrad and rmsprop)
  double rho = 0.99;                              // rmsprop: decay of the squared-gradient average
  // L2 penalty (wd/2)|w|^2 added to the loss (g += wd w); for adamw decoupled: p -= lr wd p.
  double weight_decay = 0.0;
  double l1 = 0.0;  // L1 penalty l1 |w| added to the loss: g += l1 sign(w)
  // lars: the trust coefficient eta of lambda = eta |w| / (|g| + wd |w|) (You et al. 2017).
  double trust_coefficient = 0.001;
  // lbfgs (full batch): curvature pairs kept, gradient tolerance, evaluations per line search.
  int64_t history = 10;
  double tolerance = 1e-5;  // stop when max |gradient component| falls below this
  int64_t max_evals = 25;
};

// A contiguous range of the parameter arena (one parameter tensor, usually) with its own
// regularization and learning-rate multiplier.
struct ParamGroup {
  int64_t begin = 0, end = 0;
  double weight_decay = 0;  // L2 (or AdamW's decoupled decay)
  double l1 = 0;
  double lr_scale = 1;
  bool adapt = true;    // lars, lamb: scale the step by the group's trust ratio (weights: yes)
  bool frozen = false;  // --freeze: never updated, no decay or L1 either (and no state kept moving)
};

// What one update call covers: a group's range of the arena (or the part of it in one piece
// of a partition), its rate (lr x lr_scale), its weight decay (for optimizers that apply it
// themselves) and whether it adapts. sums: for optimizers with segment_sums() > 0, the
// completed sums over the whole group (or gap between groups), else null.
struct UpdateSlice {
  int64_t begin = 0, end = 0;
  double lr = 0;
  double weight_decay = 0;
  bool adapt = true;
  const double* sums = nullptr;
};

// ZeRO stage 1 (--shard-optimizer): the arena cut into pieces, one per rank; a sharded
// optimizer updates only its own piece and holds state only for it. Sums over a group (LARS
// and LAMB trust ratios) are taken per piece and added in piece order, also when one rank
// updates every piece, so a sharded run makes exactly the updates of an unsharded one.
struct Partition {
  std::vector<int64_t> bounds;  // pieces + 1 offsets; empty: the whole arena is one piece
  int owned = -1;               // the piece this rank updates; -1: every piece
  // Sharded: every rank's k per-piece sums, rank after rank, into all[pieces x k].
  std::function<void(const double* mine, int64_t k, double* all)> gather;
};

// Where an optimizer's weight decay goes.
enum class DecayRule {
  kGradient,   // L2: g <- g + wd w before the update (SGD, Adam, ...)
  kDecoupled,  // p <- p (1 - lr wd) apart from the gradient (AdamW)
  kInUpdate,   // the update uses UpdateSlice::weight_decay itself (LARS, LAMB)
};

// A weight tensor seen as rows (output units or filters) for the max-norm constraint.
struct WeightRows {
  int64_t offset = 0, rows = 0, cols = 0;
};

// Max-norm (Srebro & Shraibman; Hinton et al. with dropout): every row longer than
// max_norm in Euclidean norm is scaled back onto the ball. A projection after the step.
void apply_max_norm(std::span<float> params, const std::vector<WeightRows>& weights, double max_norm);

// A named piece of optimizer state, in the parameter arena's layout (or a scalar).
struct StateArray {
  std::string name;
  std::vector<float>* data;
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  virtual std::string name() const = 0;
  // One update with learning rate lr, each group with its own decay, L1, lr multiplier and
  // adaptation; parameters outside every group are one more slice, at lr without decay.
  void step(std::span<float> params, std::span<const float> grads, double lr);
  int64_t steps() const { return steps_; }
  void set_steps(int64_t steps) { steps_ = steps; }
  // Groups in ascending, non-overlapping order.
  void set_groups(std::vector<ParamGroup> groups);
  const std::vector<ParamGroup>& groups() const { return groups_; }
  void set_partition(Partition partition);
  // The range [first, second) of an n-parameter arena this rank updates (all of it unsharded).
  std::pair<int64_t, int64_t> owned_range(int64_t n) const;
  // This rank's state: arrays over owned_range() of the arena (or scalars).
  virtual std::vector<StateArray> state() = 0;
  // Sizes the state for an n-parameter arena (zeros), as the first step would; before loading it.
  void prepare_state(int64_t n) {
    const auto [lo, hi] = owned_range(n);
    prepare(hi - lo);
  }

 protected:
  explicit Optimizer(const OptimizerConfig& c) : config_(c) {}
  virtual DecayRule decay_rule() const { return DecayRule::kGradient; }
  // Sums a segment's update needs (LARS: |w|^2, |g|^2); 0 for elementwise optimizers.
  virtual int segment_sums() const { return 0; }
  // With segment_sums() > 0, called on every slice before any update: adds the slice's part
  // of the sums into sums[0 .. segment_sums()).
  virtual void partial_sums(float*, const float*, const UpdateSlice&, double*) {}
  // Applies the update to [s.begin, s.end); g includes L1, and L2 decay under kGradient.
  // Indices are relative to this rank's range, as is the state.
  virtual void update(float* p, const float* g, const UpdateSlice& s) = 0;
  virtual void prepare(int64_t n) = 0;  // size the state once
  OptimizerConfig config_;
  int64_t steps_ = 0;

 private:
  struct Slice {
    int64_t begin = 0, end = 0;  // arena offsets, within one piece
    int piece = 0, segment = 0;  // segment: a group or a gap between groups
    double lr_scale = 1, weight_decay = 0;
    bool adapt = true;
  };
  void plan_slices(int64_t n);
  void apply_penalties(std::span<float> params, std::span<const float> grads, double lr, int64_t lo,
                       int64_t hi);
  void complete_sums();

  std::vector<ParamGroup> groups_;
  Partition partition_;
  int64_t planned_n_ = -1;
  std::vector<Slice> slices_;  // groups and gaps cut at piece bounds, in order
  int segments_ = 0;
  std::vector<double> sums_, all_sums_, totals_;  // [pieces x segments x sums], [segments x sums]
  std::vector<float> decayed_;                    // g + wd w + l1 sign(w) over this rank's range, reused
  const float* penalized_ = nullptr;              // decayed_ (shifted) when penalties apply this step
};

// --param-groups: "PATTERN:key=value,...;PATTERN:..." where PATTERN globs parameter names
// (NODE.PARAM, * and ?) and keys are weight_decay, l1, lr_scale and adapt (0 or 1). Later
// rules win.
struct GroupRule {
  std::string pattern;
  double weight_decay = -1, l1 = -1, lr_scale = -1, adapt = -1;  // -1: not set by this rule
};
std::vector<GroupRule> parse_group_rules(const std::string& text);
bool glob_match(const std::string& pattern, const std::string& name);

// The optimizers `--optimizer` can name: one registration line each in optimizer.cpp.
struct OptimizerInfo {
  std::string name;
  std::vector<std::string> aliases;
  std::string summary;  // the update rule, one line
  std::unique_ptr<Optimizer> (*make)(const OptimizerConfig&) = nullptr;
  bool full_batch = false;  // iterates on the whole training split (L-BFGS), not on mini-batches
};
const Registry<OptimizerInfo>& optimizer_registry();

// UsageError naming the option (--momentum, --adam-eps, ...) of a value out of its range.
void validate(const OptimizerConfig& config);

// validate(config), then the registry's optimizer called config.name.
std::unique_ptr<Optimizer> make_optimizer(const OptimizerConfig& config);

}  // namespace tandem::optim
