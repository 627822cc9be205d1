#include "tandem/train/epoch_meter.hpp"

namespace tandem::train {

EpochMeter::Totals EpochMeter::epoch_totals(dist::Comm& comm) const {
  double sums[2] = {loss_, correct_};
  comm.allreduce_sum(sums, 2);
  return {sums[0], sums[1], seen_};
}

double EpochMeter::take_window_mean(dist::Comm& comm) {
  double sums[2] = {window_loss_, window_seen_};
  comm.allreduce_sum(sums, 2);
  window_loss_ = window_seen_ = 0;
  return sums[1] > 0 ? sums[0] / sums[1] : 0.0;
}

void EpochMeter::save(io::TrainProgress& p, dist::Comm& comm) const {
  double sums[4] = {loss_, correct_, window_loss_, window_seen_};
  comm.allreduce_sum(sums, 4);
  p.epoch_loss_sum = sums[0];
  p.epoch_correct = sums[1];
  p.epoch_seen = seen_;
  p.window_loss_sum = sums[2];
  p.window_seen = sums[3];
  p.epoch_grad_norm_sum = norms_.sum;
  p.epoch_grad_norm_steps = norms_.steps;
  p.epoch_clipped = norms_.clipped;
  p.window_grad_norm_sum = window_norms_.sum;
  p.window_grad_norm_steps = window_norms_.steps;
}

void EpochMeter::restore(const io::TrainProgress& p, const dist::Comm& comm) {
  seen_ = p.epoch_seen;
  const bool root = comm.is_root();
  loss_ = root ? p.epoch_loss_sum : 0;
  correct_ = root ? p.epoch_correct : 0;
  window_loss_ = root ? p.window_loss_sum : 0;
  window_seen_ = root ? p.window_seen : 0;
  norms_ = {p.epoch_grad_norm_sum, p.epoch_grad_norm_steps, p.epoch_clipped};  // every rank's own
  window_norms_ = {p.window_grad_norm_sum, p.window_grad_norm_steps, 0};
}

}  // namespace tandem::train
