#include "tandem/train/callbacks.hpp"

#include <algorithm>
#include <cstdio>

#include "tandem/core/error.hpp"
#include "tandem/core/log.hpp"

namespace tandem::train {

Monitor::Monitor(Metric metric) : metric_(metric) {
  TANDEM_ASSERT(metric != Metric::kAuto, "Monitor: resolve --monitor auto first");
  minimize_ = metric == Metric::kValLoss || metric == Metric::kTrainLoss || metric == Metric::kTestLoss;
}

Monitor::Monitor(const std::string& name) : Monitor(parse_enum<Metric>(name, "--monitor")) {}

bool Monitor::improves(double value, double best, bool have_best, double min_delta) const {
  if (!have_best) return true;
  return minimize_ ? value < best - min_delta : value > best + min_delta;
}

EpochDecision after_epoch(const Monitor& monitor, const CallbackConfig& config, PlateauState& state,
                          int64_t epoch, double value) {
  EpochDecision d;
  if (monitor.improves(value, state.best, state.best_epoch > 0, config.min_delta)) {
    d.improved = true;
    state.best = value;
    state.best_epoch = epoch;
    state.bad_epochs = 0;
    return d;
  }
  ++state.bad_epochs;
  if (config.early_stop_patience > 0 && epoch - state.best_epoch >= config.early_stop_patience) d.stop = true;
  if (config.plateau_patience > 0 && state.bad_epochs >= config.plateau_patience) {
    d.cut_lr = true;
    state.bad_epochs = 0;  // wait another `patience` epochs before the next cut
  }
  return d;
}

EpochCallbacks::EpochCallbacks(Metric metric, const TrainConfig& c)
    : monitor_(metric),
      config_{c.min_delta, c.early_stop_patience, c.plateau_patience},
      plateau_factor_(c.plateau_factor) {}

EpochDecision EpochCallbacks::after(int64_t epoch, double value, graph::Graph& g) {
  const auto d = after_epoch(monitor_, config_, state_, epoch, value);
  const std::string m = monitor_.name();
  if (d.improved && config_.early_stop_patience > 0) {
    best_params_.assign(g.params().begin(), g.params().end());
    best_state_.assign(g.state().begin(), g.state().end());
  }
  if (d.cut_lr) {
    lr_scale_ *= plateau_factor_;
    log::infof(m, " has not improved for ", config_.plateau_patience, " epoch(s): learning rate x",
               plateau_factor_);
  }
  if (d.stop) {
    char best[32];
    std::snprintf(best, sizeof best, "%.4f", state_.best);
    log::infof("early stopping: ", m, " has not improved by more than ", config_.min_delta, " for ",
               config_.early_stop_patience, " epoch(s); restoring the weights of epoch ", state_.best_epoch,
               " (", m, " ", best, ")");
    if (best_params_.size() == g.params().size()) {
      std::copy(best_params_.begin(), best_params_.end(), g.params().begin());
      std::copy(best_state_.begin(), best_state_.end(), g.state().begin());
    } else {
      log::warnf("the weights of epoch ", state_.best_epoch,
                 " are not at hand (early stopping was turned on "
                 "when resuming): keeping the last epoch's; best.h5 holds the best model");
    }
  }
  return d;
}

void EpochCallbacks::save(io::TrainProgress& p, std::vector<io::RunArray>& arrays) const {
  p.lr_scale = lr_scale_;
  p.best_metric = state_.best;
  p.best_epoch = state_.best_epoch;
  p.bad_epochs = state_.bad_epochs;
  if (best_params_.empty()) return;
  arrays.push_back({"best_params", best_params_, {}});
  if (!best_state_.empty()) arrays.push_back({"best_state", best_state_, {}});
}

void EpochCallbacks::restore(const io::TrainProgress& p, const std::string& checkpoint,
                             const graph::Graph& g) {
  lr_scale_ = p.lr_scale;
  state_ = {p.best_metric, p.best_epoch, p.bad_epochs};
  if (config_.early_stop_patience == 0 || p.best_epoch == 0) return;
  if (!io::read_run_array(checkpoint, "best_params", best_params_)) return;  // warned about at the stop
  TANDEM_CHECK(best_params_.size() == static_cast<size_t>(g.param_count()), "'", checkpoint,
               "': /run/best_params holds ", best_params_.size(), " values, the model ", g.param_count());
  best_state_.clear();
  io::read_run_array(checkpoint, "best_state", best_state_);
}

}  // namespace tandem::train
