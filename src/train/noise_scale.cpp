#include "tandem/train/noise_scale.hpp"

#include <cmath>

#include "tandem/core/error.hpp"

namespace tandem::train {

NoiseScale::NoiseScale(double ema, int64_t capacity)
    : beta_(ema), small_b_(static_cast<size_t>(capacity)), small_sq_(static_cast<size_t>(capacity)) {}

void NoiseScale::add_small(double b, double sq_norm) {
  TANDEM_ASSERT(smalls_ < small_b_.size(), "noise scale: more small gradients in a step than planned");
  small_b_[smalls_] = b;
  small_sq_[smalls_] = sq_norm;
  ++smalls_;
}

void NoiseScale::end_step(double big_b, double big_sq, dist::Comm& comm) {
  double sums[3] = {0, 0, 0};  // |G|^2 and tr(Sigma) estimates, and their count
  for (size_t i = 0; i < smalls_; ++i) {
    const double b = small_b_[i], small = small_sq_[i];
    if (b <= 0 || b >= big_b) continue;  // no sample, or the whole batch: nothing to compare
    sums[0] += (big_b * big_sq - b * small) / (big_b - b);
    sums[1] += (small - big_sq) / (1.0 / b - 1.0 / big_b);
    sums[2] += 1;
  }
  smalls_ = 0;
  comm.allreduce_sum(sums, 3);
  // A step that was not finite (--on-nonfinite skip or rollback) leaves the averages alone.
  if (sums[2] == 0 || !std::isfinite(sums[0]) || !std::isfinite(sums[1])) return;
  ema_g2_ = beta_ * ema_g2_ + (1 - beta_) * sums[0] / sums[2];
  ema_trace_ = beta_ * ema_trace_ + (1 - beta_) * sums[1] / sums[2];
  ++steps_;
}

double NoiseScale::g2() const {
  return ema_g2_ / (1 - std::pow(beta_, static_cast<double>(steps_)));
}

double NoiseScale::trace() const {
  return ema_trace_ / (1 - std::pow(beta_, static_cast<double>(steps_)));
}

void NoiseScale::save(io::TrainProgress& p) const {
  p.gns_ema_g2 = ema_g2_;
  p.gns_ema_trace = ema_trace_;
  p.gns_steps = steps_;
}

void NoiseScale::restore(const io::TrainProgress& p) {
  ema_g2_ = p.gns_ema_g2;
  ema_trace_ = p.gns_ema_trace;
  steps_ = p.gns_steps;
}

}  // namespace tandem::train
