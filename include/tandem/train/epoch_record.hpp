#pragma once
// One epoch's results: a line of metrics.jsonl and what the callbacks watch.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tandem/train/config.hpp"
#include "tandem/train/evaluate.hpp"

namespace tandem::train {

struct EpochRecord {
  int64_t epoch = 0;  // 1-based
  int64_t step = 0;   // global steps so far
  int64_t batch = 0;  // the global batch of the epoch's steps
  double train_loss = 0, train_accuracy = 0;
  std::optional<Evaluation> val;  // with --val-split
  double test_loss = 0, test_accuracy = 0;
  std::vector<std::pair<std::string, double>> test_head_loss;  // several losses: each one's (test_loss_NODE)
  double lr = 0;
  double seconds = 0;  // training time of the epoch, evaluation excluded
  double samples_per_s = 0;
  double grad_wait_s = 0;  // time steps waited for gradient synchronization (this rank)
  // With --clip-grad-norm: the mean global gradient norm before clipping, and the fraction of
  // the epoch's steps it clipped.
  std::optional<double> grad_norm, clipped;
  // The gradient noise scale at the epoch's end (--gns-every): B_simple and its two terms.
  struct Noise {
    double b_simple = 0, g2 = 0, trace = 0;
  };
  std::optional<Noise> noise;
  // --on-nonfinite skip or rollback: the epoch's steps skipped and rollbacks.
  struct Nonfinite {
    int64_t skipped = 0, rollbacks = 0;
  };
  std::optional<Nonfinite> nonfinite;

  // The metrics.jsonl line.
  std::string json() const;
  // The human-readable epoch line rank 0 prints.
  std::string summary(int64_t epochs) const;
};

// The value of a (resolved, not auto) metric in r; UsageError when r lacks it.
double metric_value(const EpochRecord& r, Metric metric);

}  // namespace tandem::train
