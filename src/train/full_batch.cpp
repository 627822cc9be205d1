// Full-batch training with L-BFGS: one iteration per epoch; the objective is the mean loss over
// the whole training split plus the L2 penalty, its gradient summed across ranks.
#include <chrono>
#include <cmath>

#include "tandem/core/error.hpp"
#include "tandem/core/log.hpp"
#include "tandem/optim/lbfgs.hpp"
#include "tandem/train/trainer.hpp"

namespace tandem::train {
namespace {

double seconds_now() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace

void Trainer::check_full_batch_setup() const {
  // L-BFGS's line search compares objective values: they must not change between evaluations.
  for (int id = 0; id < model_->graph.node_count(); ++id) {
    const auto& n = model_->graph.node(id);
    if (n.is_input()) continue;
    TANDEM_USAGE_CHECK(!n.op->stochastic_in_training() && !n.op->uses_batch_statistics(),
                       "--optimizer lbfgs needs a deterministic full-batch objective, but node '", n.name,
                       "' is ", n.op->type(), "; remove it from the model or use a stochastic optimizer");
  }
  TANDEM_USAGE_CHECK(!augmenter_->active(), "--optimizer lbfgs needs a fixed training set; drop --augment");
  TANDEM_USAGE_CHECK(
      config_.freeze.empty(),
      "--optimizer lbfgs updates every parameter; drop --freeze or use a mini-batch optimizer");
  for (const auto& grp : optimizer_->groups())
    TANDEM_USAGE_CHECK(grp.l1 == 0,
                       "--optimizer lbfgs needs a smooth objective; drop --l1 (and l1 in --param-groups)");
  TANDEM_USAGE_CHECK(config_.accumulate == 1 && config_.overfit_batches == 0 && !curriculum_,
                     "--optimizer lbfgs uses the whole training split every iteration; drop --accumulate, "
                     "--overfit-batches and --curriculum");
}

double Trainer::full_batch_objective() {
  // Evaluation mode: the same function as training mode here, dropout and batch norm being refused.
  const auto sums = full_pass(*model_, *feed_, train_.size(), eval_chunk_, comm_, true, weighted_loss_.get());
  full_loss_ = sums.loss / sums.samples;
  full_correct_ = sums.correct;
  auto grads = model_->graph.grads();
  auto params = model_->graph.params();
  double penalty = 0;
  for (const auto& grp : optimizer_->groups()) {
    if (grp.weight_decay == 0) continue;
    double sq = 0;
    for (int64_t i = grp.begin; i < grp.end; ++i) {
      sq += static_cast<double>(params[i]) * params[i];
      grads[i] += static_cast<float>(grp.weight_decay) * params[i];
    }
    penalty += 0.5 * grp.weight_decay * sq;
  }
  return full_loss_ + penalty;
}

std::vector<EpochRecord> Trainer::run_full_batch() {
  auto& g = model_->graph;
  auto& lbfgs = dynamic_cast<optim::Lbfgs&>(*optimizer_);
  std::vector<EpochRecord> history;
  const optim::Objective objective = [this](std::span<const float>, std::span<float>) {
    return full_batch_objective();  // x and g are the graph's own arenas
  };
  double f = full_batch_objective();
  log::infof("lbfgs: full batch of ", train_.size(), " samples; initial objective ", f);
  for (int64_t epoch = progress_.epoch; epoch < config_.epochs; ++epoch) {
    progress_.epoch = epoch;
    const double t0 = seconds_now();
    const auto it = lbfgs.iterate(g.params(), f, g.grads(), objective);
    const double seconds = seconds_now() - t0;
    ++progress_.global_step;
    log::infof("lbfgs iteration ", epoch + 1, ": objective ", f, ", max |gradient| ", it.grad_max, ", step ",
               it.step, ", ", it.evaluations, " evaluation(s)");
    EpochRecord r;
    r.epoch = epoch + 1;
    r.step = progress_.global_step;
    r.batch = train_.size();
    r.train_loss = full_loss_;
    r.train_accuracy = full_correct_ / static_cast<double>(train_.size());
    evaluate_into(r);
    r.lr = it.step;
    r.seconds = seconds;
    r.samples_per_s = static_cast<double>(it.evaluations * train_.size()) / std::max(seconds, 1e-9);
    log_epoch(r, history);
    const bool stop = apply_callbacks(r);
    progress_.epoch = epoch + 1;
    progress_.batch = 0;
    const bool signalled = stop_->signalled();
    const bool last = epoch + 1 == config_.epochs || stop || it.converged || it.failed || signalled;
    if (last || stop_->checkpoint_after_epoch(epoch + 1)) write_checkpoint();
    if (it.converged)
      log::infof("lbfgs converged: max |gradient| ", it.grad_max, " <= --lbfgs-tol ",
                 config_.optimizer.tolerance);
    if (it.failed)
      log::warnf("lbfgs: the line search found no decrease along the search direction in ",
                 config_.optimizer.max_evals,
                 " evaluations; stopping (the objective is flat to float precision here, or not smooth)");
    if (signalled) return history;
    if (last) break;
  }
  finish(history);
  return history;
}

}  // namespace tandem::train
