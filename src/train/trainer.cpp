#include "tandem/train/trainer.hpp"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>

#include <sys/resource.h>

#include "tandem/core/error.hpp"
#include "tandem/core/json.hpp"
#include "tandem/core/log.hpp"
#include "tandem/data/hard_examples.hpp"
#include "tandem/data/preprocess.hpp"
#include "tandem/data/split.hpp"
#include "tandem/dist/sync.hpp"
#include "tandem/io/checkpoint.hpp"
#include "tandem/io/model_file.hpp"
#include "tandem/tensor/kernels.hpp"
#include "tandem/train/interrupt.hpp"
#include "tandem/train/metrics_file.hpp"
#include "tandem/train/threads.hpp"

namespace tandem::train {
namespace {

double now() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

void validate(const TrainConfig& c, const dist::Comm& comm) {
  TANDEM_USAGE_CHECK(c.batch_size > 0, "--batch-size must be positive, got ", c.batch_size);
  TANDEM_USAGE_CHECK(c.lr > 0 && std::isfinite(c.lr), "--lr must be positive, got ", c.lr);
  TANDEM_USAGE_CHECK(c.epochs >= 0, "--epochs must be >= 0, got ", c.epochs);
  TANDEM_USAGE_CHECK(c.batch_size >= comm.size(), "the global batch (--batch-size ", c.batch_size,
                     ") is smaller than the number of ranks (", comm.size(),
                     "); every rank needs at least one sample: raise --batch-size or use fewer ranks");
  TANDEM_USAGE_CHECK(c.accumulate >= 1, "--accumulate must be >= 1, got ", c.accumulate);
  TANDEM_USAGE_CHECK(c.bucket_mb > 0 && c.bucket_mb <= 1024, "--bucket-mb must be in (0, 1024], got ",
                     c.bucket_mb);
  TANDEM_USAGE_CHECK(c.bn_sync == "global" || c.bn_sync == "local", "unknown --bn-sync '", c.bn_sync,
                     "'; use global or local");
  if (c.grad_sync != "auto") dist::parse_grad_sync_mode(c.grad_sync);
  TANDEM_USAGE_CHECK(c.val_split >= 0 && c.val_split < 1, "--val-split must be in [0, 1), got ", c.val_split);
  TANDEM_USAGE_CHECK(!c.data.empty(), "no dataset given; pass --data FILE.h5");
  TANDEM_USAGE_CHECK(!c.model.empty() || !c.resume.empty(), "no model given; pass --model FILE.model");
}

}  // namespace

std::string EpochRecord::json() const {
  JsonObject o;
  o.add("epoch", epoch).add("step", step).add("train_loss", train_loss).add("train_accuracy", train_accuracy);
  if (val) o.add("val_loss", val->loss).add("val_accuracy", val->accuracy);
  o.add("test_loss", test_loss).add("test_accuracy", test_accuracy);
  for (const auto& [head, loss] : test_head_loss) o.add("test_loss_" + head, loss);
  o.add("lr", lr);
  o.add("seconds", seconds).add("samples_per_s", samples_per_s).add("grad_wait_s", grad_wait_s);
  return o.str();
}

Trainer::Trainer(const TrainConfig& config, dist::Comm& comm) : config_(config), comm_(comm) {
  validate(config, comm);
  config_.threads = configure_threads(config.threads, comm);
  TANDEM_USAGE_CHECK(config.overfit_batches >= 0, "--overfit-batches must be >= 0, got ",
                     config.overfit_batches);
  if (config.overfit_batches > 0) {  // regularization off: the point is to fit these batches exactly
    config_.optimizer.weight_decay = config_.optimizer.l1 = config_.max_norm = 0;
  }

  std::optional<io::CheckpointMeta> resumed;
  if (!config.resume.empty()) resumed = io::read_checkpoint_meta(config.resume);
  // Resuming without --model: the checkpoint's own spec.
  auto spec = config.model.empty() ? model::parse_spec(resumed->spec_text, config.resume + ":/model/spec")
                                   : model::load_spec_file(config.model);
  model::BuildOptions build;
  build.bn_comm = config.bn_sync == "global" ? &comm : nullptr;
  model_ = model::build_model(spec, build);
  train_ = data::Dataset::load(config.data, "train", config.train_limit);
  test_ = data::Dataset::load(config.data, "test", config.test_limit);
  TANDEM_USAGE_CHECK(train_.size() > 0, "the training split of '", config.data, "' is empty");
  check_compatible(*model_, train_, "'" + config.data + "' /train");
  check_compatible(*model_, test_, "'" + config.data + "' /test");
  if (config.val_split > 0) {
    const auto ids = data::stratified_split(class_labels(*model_, train_), config.val_split, config.seed);
    val_ = train_.subset(ids.val);
    train_ = train_.subset(ids.train);
  }
  TANDEM_USAGE_CHECK(config.hard_examples >= 0 && config.hard_examples <= 1,
                     "--hard-examples must be in [0, 1], got ", config.hard_examples);
  TANDEM_USAGE_CHECK(config.hard_cap >= 1, "--hard-cap must be >= 1, got ", config.hard_cap);
  if (config.hard_examples > 0 && config.overfit_batches == 0)  // overfitting keeps its fixed batches
    recent_loss_.assign(train_.size(), -1.0), epoch_loss_.assign(train_.size(), -1.0);
  if (!config.class_weights.empty()) {
    TANDEM_USAGE_CHECK(train_.targets()[target_field(*model_, train_, 0)].is_labels(),
                       "--class-weights weighs class indices, but the targets of '", model_->heads[0].name,
                       "' are float vectors; drop --class-weights");
    weighted_loss_ = std::make_unique<ops::ClassWeighted>(
        ops::make_loss(model_->spec.losses[0].name),
        ops::parse_class_weights(config.class_weights, class_labels(*model_, train_), model_->outputs()));
  }
  // --overfit-batches fits fixed batches: no augmentation either.
  data::AugmentConfig augment = data::parse_augment(config.augment);
  if (config.overfit_batches > 0) augment = {};
  augmenter_ = std::make_unique<data::Augmenter>(augment, model_->input_shape(), config.seed);
  // Fitted on the training part only; a resumed run reads the fitted statistics back instead.
  if (!resumed)
    model_->preprocessing = data::fit_preprocessing(train_, config.preprocess, config.whiten_eps, comm,
                                                    input_field(*model_, train_, 0));

  // Ranks must agree on what they train before the first collective of the loop.
  const auto spec_text = model_->spec.to_text();
  dist::require_same(comm, dist::checksum(spec_text.data(), spec_text.size()), "the model spec");
  std::string shape_key =
      data_shape().sample_shape + std::to_string(train_.size()) + "/" + std::to_string(test_.size());
  dist::require_same(comm, dist::checksum(shape_key.data(), shape_key.size()), "the dataset shape");
  auto options = config.resolved;
  options.erase("threads");  // may differ between nodes
  dist::require_same_options(comm, options);

  model::initialize(model_->graph, config.seed);
  dist::broadcast_floats(comm, model_->graph.params());  // identical start, whatever the RNG did

  per_rank_batch_ = (config.batch_size * config.accumulate + comm.size() - 1) / comm.size();
  micro_batch_ = (per_rank_batch_ + config.accumulate - 1) / config.accumulate;
  eval_chunk_ = config.eval_batch > 0 ? config.eval_batch : micro_batch_;
  model_->graph.plan(std::max(micro_batch_, eval_chunk_));
  feed_ = std::make_unique<DataFeed>(*model_, train_, "'" + config.data + "' /train");
  sample_loss_.resize(micro_batch_);

  optimizer_ = optim::make_optimizer(config_.optimizer);
  optimizer_->set_groups(parameter_groups());
  for (const auto& ref : model_->graph.param_refs())
    if (ref.spec.decay) {
      const int64_t rows = ref.spec.shape[0];
      max_norm_rows_.push_back({ref.offset, rows, ref.spec.shape.numel() / rows});
    }
  lbfgs_ = dynamic_cast<optim::Lbfgs*>(optimizer_.get());
  if (lbfgs_) check_full_batch_setup();
  TANDEM_USAGE_CHECK(config.max_norm >= 0, "--max-norm must be >= 0 (0: off), got ", config.max_norm);
  const int64_t step_batch = config.batch_size * config.accumulate;
  const int64_t per_epoch =
      config.drop_last ? train_.size() / step_batch : (train_.size() + step_batch - 1) / step_batch;
  config_.schedule.total_steps = per_epoch * config.epochs;
  schedule_ = optim::make_schedule(config_.schedule);

  const auto cap = static_cast<int64_t>(config.bucket_mb * 1024 * 1024);
  // A small first bucket starts communication early (as PyTorch DDP's 1 MiB first bucket).
  // auto: on one node the "transfer" is a CPU copy with no spare core to hide it on, and one
  // blocking allreduce measured fastest (README); across nodes, overlap with backward.
  if (config_.grad_sync == "auto") config_.grad_sync = comm.node_count() > 1 ? "bucketed" : "blocking";
  sync_ = std::make_unique<dist::GradientSync>(comm, model_->graph.grads(),
                                               dist::parse_grad_sync_mode(config_.grad_sync), cap,
                                               std::min<int64_t>(cap, 256 * 1024));
  if (comm.size() > 1 && sync_->mode() == dist::GradSyncMode::kBucketed)
    on_grads_final_ = [this](int64_t floats) { sync_->ready(floats); };

  checkpoint_every_ = parse_every(config.checkpoint_every);
  TANDEM_USAGE_CHECK(config.keep_last >= 1, "--keep-last must be >= 1, got ", config.keep_last);
  TANDEM_USAGE_CHECK(config.plateau_factor > 0 && config.plateau_factor < 1,
                     "--plateau-factor must be in (0, 1), got ", config.plateau_factor);
  monitor_ = std::make_unique<Monitor>(
      config.monitor == "auto" ? (val_.size() > 0 ? "val_loss" : "train_loss") : config.monitor);
  TANDEM_USAGE_CHECK(val_.size() > 0 || monitor_->name().rfind("val_", 0) != 0, "--monitor ",
                     monitor_->name(), " needs a validation set: add --val-split F");
  callbacks_.min_delta = config.min_delta;
  callbacks_.early_stop_patience = config.early_stop_patience;
  callbacks_.plateau_patience = config.plateau_patience;
  progress_.ranks = comm.size();
  if (resumed) resume_from(config.resume, *resumed);
}

std::vector<optim::ParamGroup> Trainer::parameter_groups() const {
  // Defaults: weights get --weight-decay and --l1; biases and batch-norm parameters neither.
  const auto& c = config_.optimizer;
  const auto rules = optim::parse_group_rules(config_.param_groups);
  std::vector<int> matched(rules.size(), 0);
  std::vector<optim::ParamGroup> groups;
  std::string custom;
  for (const auto& ref : model_->graph.param_refs()) {
    optim::ParamGroup g{ref.offset, ref.offset + ref.spec.shape.numel(),
                        ref.spec.decay ? c.weight_decay : 0.0, ref.spec.decay ? c.l1 : 0.0, 1.0};
    bool changed = false;
    for (size_t r = 0; r < rules.size(); ++r) {
      if (!optim::glob_match(rules[r].pattern, ref.name)) continue;
      ++matched[r];
      changed = true;
      if (rules[r].weight_decay >= 0) g.weight_decay = rules[r].weight_decay;
      if (rules[r].l1 >= 0) g.l1 = rules[r].l1;
      if (rules[r].lr_scale >= 0) g.lr_scale = rules[r].lr_scale;
    }
    if (changed)
      custom += "\n  " + ref.name + ": weight_decay " + std::to_string(g.weight_decay) + ", l1 " +
                std::to_string(g.l1) + ", lr_scale " + std::to_string(g.lr_scale);
    groups.push_back(g);
  }
  for (size_t r = 0; r < rules.size(); ++r)
    if (matched[r] == 0) {
      std::string names;
      for (const auto& ref : model_->graph.param_refs()) names += " " + ref.name;
      throw UsageError("--param-groups pattern '" + rules[r].pattern +
                       "' matches no parameter; the parameters are:" + names);
    }
  if (!custom.empty() && comm_.is_root()) log::infof("parameter groups set by --param-groups:", custom);
  return groups;
}

io::DataShape Trainer::data_shape() const {
  io::DataShape d;
  d.train_size = train_.size();
  d.val_size = val_.size();
  d.test_size = test_.size();
  d.classes = model_->outputs();
  d.sample_shape = model_->inputs.size() == 1 ? train_.sample_shape().str() : describe_inputs(*model_);
  return d;
}

void Trainer::resume_from(const std::string& path, const io::CheckpointMeta& meta) {
  // The same model and data, or a list of what differs.
  std::vector<std::string> diffs;
  const auto spec_text = model_->spec.to_text();
  if (meta.spec_text != spec_text)
    diffs.push_back("model spec:\n    checkpoint:\n" + meta.spec_text + "    this run:\n" + spec_text);
  const auto now = data_shape();
  auto differ = [&](const std::string& what, const std::string& a, const std::string& b) {
    if (a != b) diffs.push_back(what + ": checkpoint " + a + ", this run " + b);
  };
  differ("training samples", std::to_string(meta.data.train_size), std::to_string(now.train_size));
  differ("validation samples", std::to_string(meta.data.val_size), std::to_string(now.val_size));
  differ("sample shape", meta.data.sample_shape, now.sample_shape);
  differ("classes", std::to_string(meta.data.classes), std::to_string(now.classes));
  if (!diffs.empty()) {
    std::string msg = "cannot resume from '" + path + "': it was written for a different model or dataset:";
    for (const auto& d : diffs) msg += "\n  - " + d;
    throw UsageError(msg + "\nresume with the model and data it was trained on, or start a new run");
  }
  io::restore_checkpoint(path, *model_, *optimizer_);
  progress_ = meta.progress;
  global_step_ = progress_.global_step;
  history_ = meta.history;
  plateau_.best = progress_.best_metric;
  plateau_.best_epoch = progress_.best_epoch;
  plateau_.bad_epochs = progress_.bad_epochs;
  // The epoch's sums so far are global: one rank carries them, the others start at zero.
  seen_ = progress_.epoch_seen;
  if (comm_.is_root()) {
    loss_sum_ = progress_.epoch_loss_sum;
    correct_ = progress_.epoch_correct;
  }
  log::infof("resuming from ", path, " (written by ", meta.progress.ranks, " rank(s)): epoch ",
             progress_.epoch + 1, ", batch ", progress_.batch, ", global step ", progress_.global_step);
  progress_.ranks = comm_.size();
}

void Trainer::describe_layout() const {
  log::infof("tandem ", TANDEM_VERSION, ": ", comm_.node_count(), " node(s), ", comm_.size(), " rank(s), ",
             config_.threads, " BLAS thread(s) per rank; global batch ",
             config_.batch_size * config_.accumulate, ", per rank ", per_rank_batch_, " at most",
             config_.accumulate > 1 ? " in " + std::to_string(config_.accumulate) + " micro-batches of " +
                                          std::to_string(micro_batch_)
                                    : std::string());
  log::infof("gradient sync ", config_.grad_sync, " (", sync_->buckets().size(), " bucket(s) over ",
             model_->graph.param_count() * 4 / 1024, " KiB); batch-norm statistics ", config_.bn_sync);
  log::infof("model ", config_.model, ": ", model_->graph.param_count(), " parameters; data ", config_.data,
             ": ", train_.size(), " train / ", val_.size(), " validation / ", test_.size(),
             " test samples of shape ", data_shape().sample_shape);
}

double Trainer::micro_step(std::span<const int64_t> ids, int64_t global, int64_t epoch, bool sync_now) {
  auto& g = model_->graph;
  const auto count = static_cast<int64_t>(ids.size());
  feed_->gather(ids.data(), count, *augmenter_, static_cast<uint32_t>(epoch));
  graph::RunInfo run;
  run.training = true;
  run.seed = config_.seed;
  run.epoch = static_cast<uint32_t>(epoch);
  run.sample_ids = ids.data();
  run.dropout = config_.overfit_batches == 0;
  g.forward(count, run);
  // Seeding with 1 / global makes the rank-summed gradients those of the global mean loss.
  const double loss = feed_->loss(count, 1.0f / static_cast<float>(global), true,
                                  epoch_loss_.empty() ? nullptr : sample_loss_.data(),  // --hard-examples
                                  weighted_loss_.get());
  correct_ += feed_->correct(count);
  if (!epoch_loss_.empty())  // drawn twice in an epoch: the larger loss, as across ranks
    for (int64_t i = 0; i < count; ++i)
      epoch_loss_[ids[i]] = std::max(epoch_loss_[ids[i]], static_cast<double>(sample_loss_[i]));
  if (sync_now)
    g.backward(count, run, on_grads_final_);
  else
    g.backward(count, run);
  return loss;
}

double Trainer::step(std::span<const int64_t> ids, int64_t global, int64_t epoch) {
  auto& g = model_->graph;
  g.zero_grads();
  const auto count = static_cast<int64_t>(ids.size());
  const int64_t k = config_.accumulate;
  double loss = 0;
  // Every rank runs k micro-batches (some possibly empty): batch norm reduces in each.
  for (int64_t m = 0; m < k; ++m) {
    const int64_t begin = m * count / k, end = (m + 1) * count / k;
    loss += micro_step(ids.subspan(begin, end - begin), global, epoch, m == k - 1);
  }
  sync_->finish();
  TANDEM_CHECK(std::isfinite(loss), "the training loss became ", loss, " at global step ", global_step_ + 1,
               " (epoch ", epoch + 1, "); lower --lr or check the data");
  optimizer_->step(g.params(), g.grads(), lr_for(epoch));
  if (config_.max_norm > 0) optim::apply_max_norm(g.params(), max_norm_rows_, config_.max_norm);
  ++global_step_;
  return loss;
}

void Trainer::update_emphasis(data::Sampler& sampler) {
  // A sample drawn on several ranks in one epoch keeps its largest loss.
  comm_.allreduce_max(epoch_loss_.data(), static_cast<int64_t>(epoch_loss_.size()));
  for (size_t i = 0; i < epoch_loss_.size(); ++i)
    if (epoch_loss_[i] >= 0) recent_loss_[i] = epoch_loss_[i], epoch_loss_[i] = -1;
  sampler.set_emphasis(data::emphasis_weights(class_labels(*model_, train_), recent_loss_,
                                              config_.hard_examples, config_.hard_cap));
}

void Trainer::average_state() {
  auto state = model_->graph.state();
  if (comm_.size() == 1 || state.empty()) return;
  comm_.allreduce_sum(state.data(), static_cast<int64_t>(state.size()));
  kernels::scale(state.data(), static_cast<int64_t>(state.size()), 1.0f / static_cast<float>(comm_.size()));
}

void Trainer::check_initial_loss(double loss_sum, double samples) {
  double v[2] = {loss_sum, samples};
  comm_.allreduce_sum(v, 2);
  if (model_->heads.size() != 1 || model_->loss().name() != "softmax_cross_entropy" || v[1] == 0) return;
  // With small random logits every class is about equally likely: loss ~ ln(C).
  const double mean = v[0] / v[1], expected = std::log(static_cast<double>(model_->outputs()));
  if (std::abs(mean - expected) > 0.5 * expected)
    log::warnf("the first step's loss is ", fixed(mean, 3), ", far from ln(", model_->outputs(),
               ") = ", fixed(expected, 3),
               " expected from an untrained classifier: the initial logits are too large "
               "(initialization scale) or the labels do not match the outputs");
  else
    log::infof("first step: loss ", fixed(mean, 3), " (ln(", model_->outputs(), ") = ", fixed(expected, 3),
               ")");
}

double Trainer::lr_for(int64_t epoch) const {
  return schedule_->lr(config_.lr, epoch, global_step_) * progress_.lr_scale;
}

void Trainer::write_checkpoint() {
  // The epoch's sums over all ranks, so that a resume on any number of ranks reports the same.
  double sums[2] = {loss_sum_, correct_};
  comm_.allreduce_sum(sums, 2);
  if (config_.out.empty() || !comm_.is_root()) return;
  progress_.global_step = global_step_;
  progress_.epoch_loss_sum = sums[0];
  progress_.epoch_correct = sums[1];
  progress_.epoch_seen = seen_;
  progress_.best_metric = plateau_.best;
  progress_.best_epoch = plateau_.best_epoch;
  progress_.bad_epochs = plateau_.bad_epochs;
  auto resolved = config_.resolved;
  resolved["threads"] = std::to_string(config_.threads);
  char name[64];
  std::snprintf(name, sizeof name, "/ckpt-%08lld.h5", static_cast<long long>(global_step_));
  const std::string path = config_.out + name;
  io::save_checkpoint(path, *model_, *optimizer_, resolved, progress_, data_shape(), history_);
  if (kept_checkpoints_.empty() || kept_checkpoints_.back() != path) kept_checkpoints_.push_back(path);
  while (static_cast<int64_t>(kept_checkpoints_.size()) > config_.keep_last) {
    std::filesystem::remove(kept_checkpoints_.front());
    kept_checkpoints_.erase(kept_checkpoints_.begin());
  }
  last_checkpoint_time_ = now();
}

void Trainer::open_metric_files() {
  if (config_.out.empty() || !comm_.is_root()) return;
  std::filesystem::create_directories(config_.out);
  // Rewritten from the history: after a resume the files match the checkpoint exactly.
  metrics_.open(config_.out + "/metrics.jsonl", std::ios::trunc);
  csv_.open(config_.out + "/metrics.csv", std::ios::trunc);
  TANDEM_CHECK(metrics_.good() && csv_.good(), "cannot write metrics into '", config_.out, "'; check --out");
  csv_ << metrics_csv_header() << '\n';
  for (const auto& line : history_) {
    metrics_ << line << '\n';
    csv_ << metrics_csv_row(line) << '\n';
  }
  metrics_.flush();
  csv_.flush();
  if (config_.log_every_steps > 0) {
    // Keep the step lines up to the resumed step (a fresh run keeps none).
    std::vector<std::string> kept;
    std::ifstream old(config_.out + "/steps.jsonl");
    for (std::string line; std::getline(old, line);)
      if (!config_.resume.empty() && parse_metrics_line(line).at("step") <= static_cast<double>(global_step_))
        kept.push_back(line);
    old.close();
    steps_.open(config_.out + "/steps.jsonl", std::ios::trunc);
    steps_csv_.open(config_.out + "/steps.csv", std::ios::trunc);
    steps_csv_ << "epoch,step,train_loss,lr\n";
    for (const auto& line : kept) write_step_line(line);
  }
  // Checkpoints already in OUT (a resumed run) are pruned like new ones.
  for (const auto& entry : std::filesystem::directory_iterator(config_.out)) {
    const auto name = entry.path().filename().string();
    if (name.rfind("ckpt-", 0) == 0 && entry.path().extension() == ".h5")
      kept_checkpoints_.push_back(entry.path().string());
  }
  std::sort(kept_checkpoints_.begin(), kept_checkpoints_.end());
}

void Trainer::log_epoch(const EpochRecord& r) {
  log::infof("epoch ", r.epoch, "/", config_.epochs, "  train_loss ", fixed(r.train_loss, 4), "  train_acc ",
             fixed(r.train_accuracy, 4),
             r.val ? "  val_loss " + fixed(r.val->loss, 4) + "  val_acc " + fixed(r.val->accuracy, 4)
                   : std::string(),
             "  test_loss ", fixed(r.test_loss, 4), "  test_acc ", fixed(r.test_accuracy, 4), "  lr ", r.lr,
             "  ", fixed(r.seconds, 2), "s  ", fixed(r.samples_per_s, 0), " samples/s  grad wait ",
             fixed(100.0 * r.grad_wait_s / r.seconds, 1), "%");
  history_.push_back(r.json());
  if (metrics_.is_open()) {
    metrics_ << history_.back() << '\n';
    csv_ << metrics_csv_row(history_.back()) << '\n';
    metrics_.flush();
    csv_.flush();
  }
}

bool Trainer::end_of_epoch(const EpochRecord& r) {
  const std::string& m = monitor_->name();
  const double value = m == "val_loss"         ? r.val->loss
                       : m == "val_accuracy"   ? r.val->accuracy
                       : m == "train_loss"     ? r.train_loss
                       : m == "train_accuracy" ? r.train_accuracy
                       : m == "test_loss"      ? r.test_loss
                                               : r.test_accuracy;
  const auto d = after_epoch(*monitor_, callbacks_, plateau_, r.epoch, value);
  auto& g = model_->graph;
  if (d.improved) {
    best_params_.assign(g.params().begin(), g.params().end());
    best_state_.assign(g.state().begin(), g.state().end());
    if (!config_.out.empty() && comm_.is_root()) {
      auto resolved = config_.resolved;
      resolved["best_epoch"] = std::to_string(r.epoch);
      resolved["best_" + m] = fixed(value, 6);
      io::save_model(config_.out + "/best.h5", *model_, resolved);
    }
  }
  if (d.cut_lr) {
    progress_.lr_scale *= config_.plateau_factor;
    log::infof(m, " has not improved for ", config_.plateau_patience, " epoch(s): learning rate x",
               config_.plateau_factor, " -> ", lr_for(r.epoch));
  }
  if (d.stop) {
    log::infof("early stopping: ", m, " has not improved by more than ", config_.min_delta, " for ",
               config_.early_stop_patience, " epoch(s); restoring the weights of epoch ", plateau_.best_epoch,
               " (", m, " ", fixed(plateau_.best, 4), ")");
    std::copy(best_params_.begin(), best_params_.end(), g.params().begin());
    std::copy(best_state_.begin(), best_state_.end(), g.state().begin());
  }
  return d.stop;
}

void Trainer::log_steps(int64_t epoch) {
  double sums[2] = {window_loss_, window_seen_};
  comm_.allreduce_sum(sums, 2);
  window_loss_ = window_seen_ = 0;
  if (!steps_.is_open()) return;
  JsonObject o;
  o.add("epoch", epoch + 1)
      .add("step", global_step_)
      .add("train_loss", sums[1] > 0 ? sums[0] / sums[1] : 0.0);
  o.add("lr", lr_for(epoch));
  write_step_line(o.str());
}

void Trainer::write_step_line(const std::string& line) {
  const auto v = parse_metrics_line(line);
  steps_ << line << '\n';
  char row[160];
  std::snprintf(row, sizeof row, "%.0f,%.0f,%.10g,%.10g\n", v.at("epoch"), v.at("step"), v.at("train_loss"),
                v.at("lr"));
  steps_csv_ << row;
  steps_.flush();
  steps_csv_.flush();
}

std::vector<EpochRecord> Trainer::run() {
  install_stop_handlers();
  describe_layout();
  open_metric_files();
  if (lbfgs_) return run_full_batch();
  display_.start(comm_.is_root());
  data::Sampler sampler(class_labels(*model_, train_), config_.batch_size * config_.accumulate, config_.seed,
                        config_.drop_last);
  TANDEM_USAGE_CHECK(sampler.batches() > 0, "--drop-last with a global batch of ",
                     config_.batch_size * config_.accumulate, " leaves no batch of the ", train_.size(),
                     " training samples; lower --batch-size or drop --drop-last");
  std::vector<EpochRecord> history;
  if (progress_.epoch >= config_.epochs)
    log::infof("the run is already at epoch ", progress_.epoch, " of --epochs ", config_.epochs,
               ": nothing to train; raise --epochs to continue");
  last_checkpoint_time_ = now();
  bool stop = false;
  for (int64_t epoch = progress_.epoch; epoch < config_.epochs && !stop; ++epoch) {
    // --overfit-batches: the same first batches of epoch 0, every epoch.
    sampler.start_epoch(config_.overfit_batches > 0 ? 0 : epoch);
    const int64_t batches = config_.overfit_batches > 0 ? std::min(config_.overfit_batches, sampler.batches())
                                                        : sampler.batches();
    const int64_t first = epoch == progress_.epoch ? progress_.batch : 0;
    progress_.epoch = epoch;
    if (first == 0) correct_ = loss_sum_ = seen_ = 0;
    sync_->reset_wait();
    display_.begin_epoch(epoch + 1, config_.epochs, batches, first);
    comm_.barrier();
    const double t0 = now();
    double trained = 0;  // samples this call trained in this epoch (for samples/s)
    for (int64_t b = first; b < batches; ++b) {
      const auto shard = sampler.shard(b, comm_.rank(), comm_.size());
      const double loss = step(shard, sampler.batch_size(b), epoch);
      if (global_step_ == 1) check_initial_loss(loss, static_cast<double>(shard.size()));
      loss_sum_ += loss;
      window_loss_ += loss;
      seen_ += static_cast<double>(sampler.batch_size(b));
      window_seen_ += static_cast<double>(shard.size());
      trained += static_cast<double>(sampler.batch_size(b));
      progress_.batch = b + 1;
      display_.update(b + 1, trained / (now() - t0), loss_sum_ / std::max(1.0, seen_ / comm_.size()));
      if (config_.log_every_steps > 0 && global_step_ % config_.log_every_steps == 0) log_steps(epoch);
      bool save = checkpoint_every_.unit == Every::Unit::kSteps &&
                  global_step_ % static_cast<int64_t>(checkpoint_every_.amount) == 0;
      if (checkpoint_every_.unit == Every::Unit::kSeconds) {
        // Clocks differ between ranks: rank 0 decides for everyone.
        double due = comm_.is_root() && now() - last_checkpoint_time_ >= checkpoint_every_.amount ? 1 : 0;
        comm_.broadcast(&due, sizeof due, 0);
        save = due > 0;
      }
      // A signal reaches the ranks at different steps: they agree through a 1-value reduction.
      double signalled = stop_requested() ? 1 : 0;
      comm_.allreduce_max(&signalled, 1);
      const bool halt =
          signalled > 0 || (config_.stop_after_steps > 0 && global_step_ >= config_.stop_after_steps);
      if (save || halt) write_checkpoint();
      if (halt) {
        log::infof(
            "stopping after global step ", global_step_,
            signalled > 0 ? " (SIGTERM/SIGUSR1)" : " (--stop-after-steps)",
            kept_checkpoints_.empty() ? std::string() : "; resume with --resume " + kept_checkpoints_.back());
        return history;
      }
    }
    display_.end_epoch();
    comm_.barrier();
    const double seconds = now() - t0;
    if (config_.bn_sync == "local") average_state();
    if (!epoch_loss_.empty()) update_emphasis(sampler);
    double sums[2] = {loss_sum_, correct_};
    comm_.allreduce_sum(sums, 2);
    EpochRecord r;
    if (val_.size() > 0) r.val = evaluate(*model_, val_, comm_, eval_chunk_);
    const auto test = evaluate(*model_, test_, comm_, eval_chunk_);
    r.epoch = epoch + 1;
    r.step = global_step_;
    r.train_loss = sums[0] / seen_;
    r.train_accuracy = sums[1] / seen_;
    r.test_loss = test.loss;
    r.test_accuracy = test.accuracy;
    if (model_->heads.size() > 1)
      for (size_t h = 0; h < model_->heads.size(); ++h)
        r.test_head_loss.emplace_back(model_->heads[h].name, test.head_loss[h]);
    r.lr = lr_for(epoch);
    r.seconds = seconds;
    r.samples_per_s = trained / seconds;
    r.grad_wait_s = sync_->wait_seconds();
    log_epoch(r);
    history.push_back(r);
    stop = end_of_epoch(r);
    progress_.epoch = epoch + 1;
    progress_.batch = 0;
    correct_ = loss_sum_ = seen_ = 0;
    const bool last = epoch + 1 == config_.epochs || stop;
    if (last || (checkpoint_every_.unit == Every::Unit::kEpochs &&
                 (epoch + 1) % static_cast<int64_t>(checkpoint_every_.amount) == 0))
      write_checkpoint();
  }
  finish(history);
  return history;
}

void Trainer::finish(const std::vector<EpochRecord>& history) {
  if (!config_.out.empty() && comm_.is_root()) {
    auto resolved = config_.resolved;
    resolved["threads"] = std::to_string(config_.threads);
    io::save_model(config_.out + "/final.h5", *model_, resolved);
  }
  // Peak resident memory, the largest over the ranks.
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  double peak_mib = static_cast<double>(usage.ru_maxrss) / 1024.0;
  comm_.allreduce_max(&peak_mib, 1);
  log::infof("peak resident memory ", fixed(peak_mib, 1), " MiB per rank (largest rank)");
  if (!history.empty())
    log::infof("final test accuracy ", fixed(history.back().test_accuracy, 4), " (test loss ",
               fixed(history.back().test_loss, 4), ")");
}

}  // namespace tandem::train
