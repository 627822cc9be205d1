#pragma once
// The batch-size scaling experiment (Shallue et al. 2019): a grid of training runs (optimizers x
// batch sizes x learning rates), each until its --target or its budget, recording the steps,
// epochs, samples and time it took. OUT/sweep.jsonl holds one line per finished run, so an
// interrupted sweep continues where it stopped (a run cut short resumes from its own
// checkpoints in OUT/runs/KEY).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tandem/dist/comm.hpp"
#include "tandem/train/config.hpp"

namespace tandem::train {

struct SweepGrid {
  std::vector<std::string> optimizers;
  std::vector<int64_t> batch_sizes;  // global batches
  // Rates as given (--lr-scaling applies on top), by optimizer: their useful ranges differ by
  // orders of magnitude (momentum ~0.1, LAMB ~0.01). "" holds the rates of optimizers not listed.
  std::map<std::string, std::vector<double>> lrs;

  const std::vector<double>& lrs_for(const std::string& optimizer) const;  // UsageError if none
  size_t runs() const;
};

// "0.01,0.1" (every optimizer) or "momentum:0.03,0.1;lamb:0.003,0.01" (per optimizer; a bare
// list among them is the default). UsageError naming the option.
std::map<std::string, std::vector<double>> parse_sweep_lrs(const std::string& text);

struct SweepRecord {
  std::string optimizer;
  int64_t batch = 0;
  double lr = 0;          // as given
  double scaled_lr = 0;   // after --lr-scaling for this batch: the peak rate the run trained at
  bool reached = false;   // the target, within the budget
  bool diverged = false;  // the loss or gradient stopped being finite (the run ended there)
  int64_t steps = 0;      // to the target, else all the run took
  double epochs = 0;      // the same in epochs
  int64_t samples = 0;    // and in training samples
  double seconds = 0;     // wall time of the run's training (evaluations included)
  double value = 0;       // the target metric when reached
  double samples_per_s = 0;
  double gns = 0;   // the gradient noise scale at the end (0: not measured)
  std::string dir;  // OUT/runs/KEY

  std::string key() const;  // "momentum-b256-lr0.1"
  std::string json() const;
  static SweepRecord parse(const std::string& json_line);  // UsageError naming the line
};

// The records of a sweep.jsonl file (none if it does not exist yet).
std::vector<SweepRecord> read_sweep_file(const std::string& path);

// Runs every grid point without a line in OUT/sweep.jsonl, on all ranks of comm, appending
// its line (rank 0); returns the records of the whole grid in grid order. `base` is every
// run's configuration but for batch, rate, optimizer and output directory. Collective.
std::vector<SweepRecord> run_sweep(const TrainConfig& base, const SweepGrid& grid, const std::string& out,
                                   dist::Comm& comm);

// For each optimizer and batch size, the run that reached the target in the fewest steps (ties:
// fewer samples); batch sizes where no run reached it are left out.
std::vector<SweepRecord> best_per_batch(const std::vector<SweepRecord>& records);

// McCandlish et al. 2018 (eq. 2.11): steps S and samples E = B·S to a target trade off as
// (S/S_min − 1)(E/E_min − 1) = 1, i.e. S = S_min + E_min/B: perfect scaling while B is well
// below the critical batch B_crit = E_min/S_min, no gain well above it.
struct CriticalBatch {
  double s_min = 0;  // steps at an infinite batch
  double e_min = 0;  // samples at a batch of 1
  int points = 0;    // batch sizes fitted
  double b_crit() const { return e_min / s_min; }
};

// The fit of S = S_min + E_min/B to best runs (one optimizer's, one per batch size; in
// relative error). nullopt with fewer than 3 batch sizes or a fit without positive S_min, E_min.
std::optional<CriticalBatch> fit_critical_batch(const std::vector<SweepRecord>& best);

}  // namespace tandem::train
