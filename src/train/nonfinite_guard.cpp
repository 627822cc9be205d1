#include "tandem/train/nonfinite_guard.hpp"

#include <algorithm>

#include "tandem/core/error.hpp"
#include "tandem/core/strings.hpp"
#include "tandem/train/stop_policy.hpp"

namespace tandem::train {

NonfiniteGuard::NonfiniteGuard(const NonfiniteOptions& options, graph::Graph& graph,
                               optim::Optimizer& optimizer)
    : options_(options), graph_(graph), optimizer_(optimizer) {
  TANDEM_USAGE_CHECK(options.rollback_lr_factor > 0 && options.rollback_lr_factor <= 1,
                     "--rollback-lr-factor must be in (0, 1], got ", options.rollback_lr_factor);
  TANDEM_USAGE_CHECK(options.rollback_every >= 1, "--rollback-every must be at least 1 step, got ",
                     options.rollback_every);
  TANDEM_USAGE_CHECK(options.max_rollbacks >= 1, "--max-rollbacks must be at least 1, got ",
                     options.max_rollbacks);
  TANDEM_USAGE_CHECK(options.max_skipped_steps >= 1, "--max-skipped-steps must be at least 1, got ",
                     options.max_skipped_steps);
  if (options.policy == OnNonfinite::kSkip) state_before_.resize(graph.state().size());
  if (options.policy == OnNonfinite::kRollback) {
    // Sized as the first step would size them (idempotent), so the array list is final.
    optimizer.prepare_state(static_cast<int64_t>(graph.params().size()));
    optimizer_state_ = optimizer.state();
    good_params_.resize(graph.params().size());
    good_state_.resize(graph.state().size());
    good_optimizer_.resize(optimizer_state_.size());
    for (size_t i = 0; i < optimizer_state_.size(); ++i)
      good_optimizer_[i].resize(optimizer_state_[i].data->size());
  }
}

void NonfiniteGuard::before_step() {
  if (options_.policy != OnNonfinite::kSkip) return;
  const auto s = graph_.state();
  std::copy(s.begin(), s.end(), state_before_.begin());
}

void NonfiniteGuard::good_step(int64_t global_step) {
  skipped_in_a_row_ = 0;
  if (options_.policy == OnNonfinite::kRollback && global_step % options_.rollback_every == 0)
    keep_current_state();
}

void NonfiniteGuard::keep_current_state() {
  if (options_.policy != OnNonfinite::kRollback) return;
  const auto p = graph_.params();
  const auto s = graph_.state();
  std::copy(p.begin(), p.end(), good_params_.begin());
  std::copy(s.begin(), s.end(), good_state_.begin());
  for (size_t i = 0; i < optimizer_state_.size(); ++i)
    std::copy(optimizer_state_[i].data->begin(), optimizer_state_[i].data->end(), good_optimizer_[i].begin());
  good_optimizer_steps_ = optimizer_.steps();
}

void NonfiniteGuard::roll_back() {
  std::copy(good_params_.begin(), good_params_.end(), graph_.params().begin());
  std::copy(good_state_.begin(), good_state_.end(), graph_.state().begin());
  for (size_t i = 0; i < optimizer_state_.size(); ++i)
    std::copy(good_optimizer_[i].begin(), good_optimizer_[i].end(), optimizer_state_[i].data->begin());
  optimizer_.set_steps(good_optimizer_steps_);
}

std::string NonfiniteGuard::bad_step(const std::string& where, const std::string& samples) {
  const std::string what = "the training loss or gradient was not finite (nan or inf) at " + where;
  switch (options_.policy) {
    case OnNonfinite::kAbort:
      throw DivergedError(what + samples +
                          "; lower --lr, clip with --clip-grad-norm, or let the run go on with "
                          "--on-nonfinite skip|rollback");
    case OnNonfinite::kSkip: {
      const auto s = graph_.state();
      std::copy(state_before_.begin(), state_before_.end(), s.begin());
      ++total_.skipped, ++epoch_.skipped;
      if (++skipped_in_a_row_ > options_.max_skipped_steps)
        throw DivergedError(detail::concat(what, samples, ": ", skipped_in_a_row_,
                                           " steps in a row, more than --max-skipped-steps ",
                                           options_.max_skipped_steps,
                                           "; the parameters may no longer be finite: try --on-nonfinite "
                                           "rollback or a lower --lr"));
      return what + samples + ": step skipped (" + std::to_string(total_.skipped) + " so far)";
    }
    case OnNonfinite::kRollback: {
      if (total_.rollbacks >= options_.max_rollbacks)
        throw DivergedError(detail::concat(what, samples, " after ", total_.rollbacks,
                                           " rollbacks (--max-rollbacks ", options_.max_rollbacks,
                                           "); lower --lr or clip with --clip-grad-norm"));
      roll_back();
      lr_scale_ *= options_.rollback_lr_factor;
      ++total_.rollbacks, ++epoch_.rollbacks;
      return what + samples + ": rolled back to the state after optimizer step " +
             std::to_string(good_optimizer_steps_) + ", learning rate x " + format_number(lr_scale_);
    }
  }
  return what;
}

NonfiniteGuard::Counts NonfiniteGuard::take_epoch_counts() {
  const Counts c = epoch_;
  epoch_ = {};
  return c;
}

void NonfiniteGuard::save(io::TrainProgress& p) const {
  p.nonfinite_lr_scale = lr_scale_;
  p.skipped_steps = total_.skipped;
  p.rollbacks = total_.rollbacks;
}

void NonfiniteGuard::restore(const io::TrainProgress& p) {
  lr_scale_ = p.nonfinite_lr_scale;
  total_.skipped = p.skipped_steps;
  total_.rollbacks = p.rollbacks;
}

}  // namespace tandem::train
