// The training loop: epochs of steps, the end of each epoch, checkpoints, the end of the run.
#include "tandem/train/trainer.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>

#include <sys/resource.h>

#include "tandem/core/error.hpp"
#include "tandem/core/json.hpp"
#include "tandem/core/log.hpp"
#include "tandem/core/strings.hpp"
#include "tandem/train/interrupt.hpp"
#include "tandem/train/optimizer_checkpoint.hpp"
#include "tandem/train/options.hpp"
#include "tandem/train/rank_state.hpp"

namespace tandem::train {
namespace {

double now() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace

double Trainer::lr_for(int64_t epoch) const {
  return schedule_->lr(scaled_lr(epoch), epoch, progress_.global_step) * callbacks_->lr_scale() *
         guard_->lr_scale();
}

StepRunner::Result Trainer::run_step(std::span<const int64_t> ids, std::span<const int64_t> bounds,
                                     int64_t global, int64_t epoch) {
  guard_->before_step();
  const auto r = runner_->step(ids, bounds, global, epoch, lr_for(epoch), progress_.global_step + 1);
  ++progress_.global_step;
  if (r.finite) guard_->good_step(progress_.global_step);
  return r;
}

double Trainer::step(std::span<const int64_t> ids, int64_t global, int64_t epoch) {
  // Given rows: cut into equal contiguous micro-batches.
  const int64_t k = batching(epoch).micro_batches, count = static_cast<int64_t>(ids.size());
  bounds_.resize(static_cast<size_t>(k + 1));
  for (int64_t m = 0; m <= k; ++m) bounds_[m] = m * count / k;
  return run_step(ids, bounds_, global, epoch).loss;
}

std::vector<EpochRecord> Trainer::run() {
  install_stop_handlers();
  describe_layout();
  dir_->open(history_, config_.log_every_steps > 0, config_.resume.empty() ? -1 : progress_.global_step);
  if (optim::optimizer_registry().get(config_.optimizer.name).full_batch) return run_full_batch();
  display_.start(comm_.is_root(), config_.progress);
  if (progress_.epoch >= config_.epochs)
    log::infof("the run is already at epoch ", progress_.epoch, " of --epochs ", config_.epochs,
               ": nothing to train; raise --epochs to continue");
  std::vector<EpochRecord> history;
  start_prefetching();
  guard_->keep_current_state();
  stop_->checkpoint_written();
  run_start_ = now() - progress_.train_seconds;
  if (target_)  // the checks a resumed run already made
    for (int64_t s = 1; s <= progress_.global_step; ++s) target_->due(s);
  for (int64_t epoch = progress_.epoch; epoch < config_.epochs; ++epoch) {
    auto& sampler = sampler_for(epoch);
    const auto done = train_epoch(sampler, epoch);
    if (done.ended) {
      end_run(history);
      return history;
    }
    if (!done.completed) return history;
    const auto r = finish_epoch(sampler, epoch, done);
    log_epoch(r, history);
    const bool stop = apply_callbacks(r);
    progress_.epoch = epoch + 1;
    progress_.batch = 0;
    meter_.start_epoch();
    if (epoch + 1 == config_.epochs || stop || stop_->checkpoint_after_epoch(epoch + 1)) write_checkpoint();
    if (stop) break;
  }
  finish(history);
  return history;
}

data::Sampler& Trainer::sampler_for(int64_t epoch) {
  // A new sampler when the batch changes (--batch-schedule); its order depends on (seed,
  // epoch, batch) only, so a resumed run deals the same batches.
  const int64_t global = config_.step_batch(epoch);
  if (sampler_ && sampler_global_ == global) return *sampler_;
  sampler_ =
      std::make_unique<data::Sampler>(class_labels(*model_, train_), global, config_.seed, config_.drop_last);
  sampler_global_ = global;
  if (curriculum_) sampler_->set_curriculum(&curriculum_->curriculum());
  if (hard_examples_) hard_examples_->resume(*sampler_, epoch);
  return *sampler_;
}

Trainer::EpochRun Trainer::train_epoch(data::Sampler& sampler, int64_t epoch) {
  // --overfit-batches: the same first batches of epoch 0, every epoch.
  const bool overfit = config_.overfit_batches > 0;
  sampler.start_epoch(overfit ? 0 : epoch);
  const int64_t batches = overfit ? std::min(config_.overfit_batches, sampler.batches()) : sampler.batches();
  const auto samples = static_cast<int64_t>(sampler.order().size());
  TANDEM_USAGE_CHECK(batches > 0, "--drop-last with a global batch of ", sampler_global_,
                     " leaves no batch of the ", samples, " training samples",
                     curriculum_ ? " of this curriculum epoch" : "", "; lower the batch",
                     curriculum_ ? ", raise --curriculum-start" : "", " or drop --drop-last");
  if (curriculum_)
    log::infof("curriculum: epoch ", epoch + 1, " trains on the easiest ", samples, " of ", train_.size(),
               " samples (", fixed(100.0 * config_.curriculum.fraction(overfit ? 0 : epoch), 1),
               "% of each class)");
  const int64_t first = epoch == progress_.epoch ? progress_.batch : 0;
  const int64_t micro_batches = batching(epoch).micro_batches;
  progress_.epoch = epoch;
  if (first == 0) meter_.start_epoch();
  sync_->reset_wait();
  display_.begin_epoch(epoch + 1, config_.epochs, batches, first);
  comm_.barrier();
  EpochRun done;
  const double t0 = now();
  posted_until_ = first - 1;
  for (int64_t b = first; b < batches; ++b) {
    const auto shard = step_ids(sampler, b, batches, epoch, micro_batches);
    const auto global = static_cast<double>(sampler.batch_size(b));
    const auto r = run_step(shard, bounds_, sampler.batch_size(b), epoch);
    if (!r.finite) {
      after_nonfinite_step(shard, epoch);  // abort throws; skip and rollback go on
    } else {
      if (progress_.global_step == 1) check_initial_loss(r.loss, static_cast<double>(shard.size()));
      meter_.add_step(r.loss, r.correct, static_cast<double>(shard.size()), global);
      meter_.add_grad_norm(r.grad_norm, r.clipped);
    }
    done.trained += global;
    progress_.samples_trained += global;
    progress_.batch = b + 1;
    display_.update(b + 1, done.trained / (now() - t0), meter_.running_loss(comm_.size()));
    if (config_.log_every_steps > 0 && progress_.global_step % config_.log_every_steps == 0) log_steps(epoch);
    if (run_ends(epoch, b + 1, batches)) {
      done.ended = true;
      return done;
    }
    const auto decision = stop_->after_step(progress_.global_step);
    if (decision.checkpoint) write_checkpoint();
    if (decision.stop) {
      const auto last = dir_->last_checkpoint();
      log::infof("stopping after global step ", progress_.global_step, " (", decision.reason, ")",
                 last.empty() ? std::string() : "; resume with --resume " + last);
      return done;
    }
  }
  display_.end_epoch();
  comm_.barrier();
  done.seconds = now() - t0;
  done.completed = true;
  return done;
}

std::span<const int64_t> Trainer::step_ids(data::Sampler& sampler, int64_t b, int64_t batches, int64_t epoch,
                                           int64_t micro_batches) {
  const auto shard = sampler.micro_shards(b, comm_.rank(), comm_.size(), micro_batches, bounds_);
  if (!prefetch_) return shard;
  // Dealing the next batches reuses the sampler's buffers: the step's ids become a copy.
  step_ids_.assign(shard.begin(), shard.end());
  step_bounds_.assign(bounds_.begin(), bounds_.end());
  // Queued: this batch and the next --prefetch ones. After a miss the queue was dropped.
  if (prefetch_->missed() != misses_seen_) posted_until_ = b - 1, misses_seen_ = prefetch_->missed();
  posted_until_ = std::max(posted_until_, b - 1);
  const auto e = static_cast<uint32_t>(epoch);
  for (int64_t q = posted_until_ + 1; q < std::min(batches, b + 1 + config_.prefetch); ++q) {
    const auto next = sampler.micro_shards(q, comm_.rank(), comm_.size(), micro_batches, next_bounds_);
    for (int64_t m = 0; m < micro_batches; ++m)
      prefetch_->post(next.subspan(next_bounds_[m], next_bounds_[m + 1] - next_bounds_[m]), e);
    posted_until_ = q;
  }
  bounds_.assign(step_bounds_.begin(), step_bounds_.end());
  return step_ids_;
}

// Streamed training data: a background thread prepares the coming batches (after a resume has
// restored the preprocessing it copies).
void Trainer::start_prefetching() {
  if (prefetch_ || !train_.streamed() || config_.prefetch == 0) return;
  const auto slots = static_cast<int>((config_.prefetch + 1) * max_micro_batches_);
  prefetch_ = std::make_unique<Prefetcher>(train_, feed_->input_fields(), feed_->input_widths(), micro_batch_,
                                           slots, *augmenter_, model_->preprocessing);
  feed_->set_prefetcher(prefetch_.get());
}

bool Trainer::run_ends(int64_t epoch, int64_t batch, int64_t batches) {
  const int64_t step = progress_.global_step;
  if (target_ && target_->due(step)) {
    const auto& t = config_.target;
    const bool val = t.metric == Metric::kValLoss || t.metric == Metric::kValAccuracy;
    comm_.mark(step, dist::Phase::kEvaluation);
    const auto e = evaluate(*model_, val ? val_ : test_, comm_, eval_chunk_);
    const bool accuracy = t.metric == Metric::kValAccuracy || t.metric == Metric::kTestAccuracy;
    const double value = accuracy ? e.accuracy : e.loss;
    if (target_->reached(value)) {
      target_result_ = {
          true,
          step,
          static_cast<double>(epoch) + static_cast<double>(batch) / static_cast<double>(batches),
          static_cast<int64_t>(progress_.samples_trained),
          now() - run_start_,
          value};
      log::infof("target ", format_target(t), " reached at global step ", step, " (epoch ",
                 target_result_.epochs, ", ", target_result_.samples, " samples, ", target_result_.seconds,
                 " s): ", enum_name(t.metric), " ", value);
      return true;
    }
  }
  return config_.max_steps > 0 && step >= config_.max_steps;
}

void Trainer::end_run(std::vector<EpochRecord>& history) {
  display_.end_epoch();
  if (!target_result_.reached)
    log::infof("--max-steps ", config_.max_steps, " reached", target_ ? "; the target was not" : "");
  write_checkpoint();
  finish(history);
}

EpochRecord Trainer::finish_epoch(data::Sampler& sampler, int64_t epoch, const EpochRun& done) {
  comm_.mark(progress_.global_step, dist::Phase::kEpochEnd);
  if (config_.bn_sync == BnSync::kLocal) average_unfrozen_states(comm_, model_->graph);
  if (hard_examples_) hard_examples_->end_epoch(sampler, comm_);
  const auto totals = meter_.epoch_totals(comm_);
  EpochRecord r;
  r.epoch = epoch + 1;
  r.step = progress_.global_step;
  r.batch = config_.step_batch(epoch);
  r.train_loss = totals.loss / totals.samples;
  r.train_accuracy = totals.correct / totals.samples;
  evaluate_into(r);
  r.lr = lr_for(epoch);
  r.seconds = done.seconds;
  r.samples_per_s = done.trained / done.seconds;
  r.grad_wait_s = sync_->wait_seconds();
  if (const auto c = guard_->take_epoch_counts(); config_.nonfinite.policy != OnNonfinite::kAbort)
    r.nonfinite = {c.skipped, c.rollbacks};
  if (const auto& norms = meter_.epoch_grad_norms(); norms.steps > 0) {
    r.grad_norm = norms.mean();
    r.clipped = norms.clipped / norms.steps;
  }
  if (noise_ && noise_->measured()) r.noise = {noise_->b_simple(), noise_->g2(), noise_->trace()};
  return r;
}

void Trainer::evaluate_into(EpochRecord& r) {
  comm_.mark(progress_.global_step, dist::Phase::kEvaluation);
  if (val_.size() > 0) r.val = evaluate(*model_, val_, comm_, eval_chunk_);
  const auto test = evaluate(*model_, test_, comm_, eval_chunk_);
  r.test_loss = test.loss;
  r.test_accuracy = test.accuracy;
  if (model_->heads.size() > 1)
    for (size_t h = 0; h < model_->heads.size(); ++h)
      r.test_head_loss.emplace_back(model_->heads[h].name, test.head_loss[h]);
}

void Trainer::log_epoch(const EpochRecord& r, std::vector<EpochRecord>& history) {
  log::info(r.summary(config_.epochs));
  history_.push_back(r.json());
  dir_->append_metrics(history_.back());
  history.push_back(r);
}

bool Trainer::apply_callbacks(const EpochRecord& r) {
  const Metric metric = callbacks_->monitor().metric();
  const double value = metric_value(r, metric);
  const auto d = callbacks_->after(r.epoch, value, model_->graph);
  if (d.improved) {
    auto options = stored_options_;
    options["best_epoch"] = std::to_string(r.epoch);
    options["best_" + enum_name(metric)] = fixed(value, 6);
    dir_->save_model("best.h5", *model_, options);
  }
  if (d.cut_lr) log::infof("learning rate now ", lr_for(r.epoch));
  return d.stop;
}

void Trainer::log_steps(int64_t epoch) {
  const double mean = meter_.take_window_mean(comm_);
  JsonObject o;
  o.add("epoch", epoch + 1)
      .add("step", progress_.global_step)
      .add("batch", config_.step_batch(epoch))
      .add("train_loss", mean)
      .add("lr", lr_for(epoch));
  if (const auto norms = meter_.take_window_grad_norms(); norms.steps > 0) o.add("grad_norm", norms.mean());
  if (noise_ && noise_->measured())
    o.add("gns", noise_->b_simple()).add("gns_g2", noise_->g2()).add("gns_trace", noise_->trace());
  dir_->append_step(o.str());
}

void Trainer::check_initial_loss(double loss_sum, double samples) {
  double v[2] = {loss_sum, samples};
  comm_.allreduce_sum(v, 2);
  const auto expected = model_->loss().untrained_loss(model_->outputs());
  if (model_->heads.size() != 1 || !expected || v[1] == 0) return;
  // With small random outputs every class is about equally likely.
  const double mean = v[0] / v[1];
  if (std::abs(mean - *expected) > 0.5 * *expected)
    log::warnf("the first step's loss is ", fixed(mean, 3), ", far from ln(", model_->outputs(),
               ") = ", fixed(*expected, 3),
               " expected from an untrained classifier: the initial logits are too large "
               "(initialization scale) or the labels do not match the outputs");
  else
    log::infof("first step: loss ", fixed(mean, 3), " (ln(", model_->outputs(), ") = ", fixed(*expected, 3),
               ")");
}

void Trainer::write_checkpoint() {
  comm_.mark(progress_.global_step, dist::Phase::kCheckpoint);
  if (run_start_ > 0) progress_.train_seconds = now() - run_start_;
  // Collective parts first: every rank takes part, rank 0 writes.
  meter_.save(progress_, comm_);
  std::vector<io::RunArray> arrays;
  callbacks_->save(progress_, arrays);
  if (hard_examples_) hard_examples_->save(comm_, arrays);
  if (curriculum_) curriculum_->save(arrays);
  if (noise_) noise_->save(progress_);
  guard_->save(progress_);
  std::vector<float> rank_states;
  if (config_.bn_sync == BnSync::kLocal && comm_.size() > 1 && !model_->graph.state().empty()) {
    rank_states = gather_rank_states(comm_, model_->graph.state());
    arrays.push_back({"rank_state", rank_states, {}});
  }
  std::vector<float> residuals;
  if (!sync_->residual().empty()) {
    residuals = gather_rank_states(comm_, sync_->residual());
    arrays.push_back({"grad_residual", residuals, {}});
  }
  std::vector<std::vector<float>> gathered;
  const auto record = optimizer_checkpoint(*optimizer_, *sync_, comm_, model_->graph.param_count(), gathered);
  dir_->save_checkpoint(progress_.global_step, [&](const std::string& path) {
    io::save_checkpoint(path, *model_, record, stored_options_, progress_, data_shape(), history_, arrays);
  });
  stop_->checkpoint_written();
}

namespace {
// This process's proportional set size from /proc (0 where there is none).
double proportional_set_mib() {
  std::ifstream in("/proc/self/smaps_rollup");
  std::string key;
  double kib = 0;
  while (in >> key)
    if (key == "Pss:" && in >> kib) return kib / 1024.0;
  return 0;
}
}  // namespace

void Trainer::finish(const std::vector<EpochRecord>& history) {
  dir_->save_model("final.h5", *model_, stored_options_);
  // Peak resident memory, the largest over the ranks.
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  double peak_mib = static_cast<double>(usage.ru_maxrss) / 1024.0;
  comm_.allreduce_max(&peak_mib, 1);
  log::infof("peak resident memory ", fixed(peak_mib, 1), " MiB per rank (largest rank)");
  // Shared pages (--data-cache node) count whole in every rank's resident memory; the
  // proportional set size counts each page once over the ranks that map it.
  double pss_mib = proportional_set_mib();
  comm_.allreduce_sum(&pss_mib, 1);
  if (pss_mib > 0) log::infof("memory of all ranks together now (PSS) ", fixed(pss_mib, 1), " MiB");
  if (prefetch_)  // rank 0's: the ranks read alike
    log::infof("prefetched ", prefetch_->served(), " of ", prefetch_->served() + prefetch_->missed(),
               " training micro-batches on rank 0 ahead of their step");
  if (!history.empty())
    log::infof("final test accuracy ", fixed(history.back().test_accuracy, 4), " (test loss ",
               fixed(history.back().test_loss, 4), ")");
}

}  // namespace tandem::train
