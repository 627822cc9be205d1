#include "tandem/train/callbacks.hpp"

#include "tandem/core/error.hpp"

namespace tandem::train {

Monitor::Monitor(const std::string& name) : name_(name) {
  const bool loss = name == "val_loss" || name == "train_loss" || name == "test_loss";
  const bool acc = name == "val_accuracy" || name == "train_accuracy" || name == "test_accuracy";
  TANDEM_USAGE_CHECK(loss || acc, "unknown --monitor '", name,
                     "'; use val_loss, val_accuracy, train_loss, train_accuracy, test_loss or test_accuracy");
  minimize_ = loss;
}

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

}  // namespace tandem::train
