#pragma once
// The gradient noise scale B_simple = tr(Sigma) / |G|^2 (McCandlish, Kaplan, Amodei et al. 2018,
// Appendix A.1), which predicts the critical batch size. A step gives small-batch gradients
// (each rank's own share of b samples, or on one rank each micro-batch of --accumulate) and
// the big-batch gradient of all B samples; for each small one,
//   |G|^2     ~ (B |G_B|^2 - b |G_b|^2) / (B - b)
//   tr(Sigma) ~ (|G_b|^2 - |G_B|^2) / (1/b - 1/B)
// are unbiased, so their mean over the small gradients is too. Each term is smoothed by an
// exponential moving average (bias-corrected) before the ratio is taken, because a single
// step's |G|^2 estimate is noisy and may even be negative.
#include <cstdint>
#include <vector>

#include "tandem/dist/comm.hpp"
#include "tandem/io/checkpoint.hpp"

namespace tandem::train {

class NoiseScale {
 public:
  // ema: the moving averages' decay per measured step; capacity: small gradients per step.
  NoiseScale(double ema, int64_t capacity);

  // A small-batch gradient of this step: b samples, |G_b|^2 the squared norm of their mean.
  void add_small(double b, double sq_norm);
  // Collective: the step's big batch (B samples, |G_B|^2) closes it; the terms of every small
  // gradient of every rank are averaged (one reduction of 3 numbers) into the moving averages.
  void end_step(double big_b, double big_sq_norm, dist::Comm& comm);

  bool measured() const { return steps_ > 0; }
  double g2() const;     // |G|^2, smoothed
  double trace() const;  // tr(Sigma), smoothed
  double b_simple() const { return trace() / g2(); }

  void save(io::TrainProgress& progress) const;
  void restore(const io::TrainProgress& progress);

 private:
  double beta_;
  std::vector<double> small_b_, small_sq_;  // this step's small gradients (capacity, reused)
  size_t smalls_ = 0;
  double ema_g2_ = 0, ema_trace_ = 0;
  int64_t steps_ = 0;  // measured steps so far (for the bias correction)
};

}  // namespace tandem::train
