// Trainer setup: data and model loaded and checked against each other and across ranks, the
// training parts built, and a checkpoint restored.
#include <algorithm>
#include <cmath>

#include "tandem/core/error.hpp"
#include "tandem/core/log.hpp"
#include "tandem/core/strings.hpp"
#include "tandem/data/preprocess.hpp"
#include "tandem/data/split.hpp"
#include "tandem/dist/sync.hpp"
#include "tandem/io/row_reader.hpp"
#include "tandem/train/class_counts.hpp"
#include "tandem/train/freeze.hpp"
#include "tandem/train/init_from.hpp"
#include "tandem/train/options.hpp"
#include "tandem/train/param_groups.hpp"
#include "tandem/train/rank_state.hpp"
#include "tandem/train/threads.hpp"
#include "tandem/train/trainer.hpp"

namespace tandem::train {

Trainer::Trainer(const TrainConfig& config, dist::Comm& comm) : config_(config), comm_(comm) {
  set_up(nullptr);
}

Trainer::Trainer(const TrainConfig& config, dist::Comm& comm, const model::ModelSpec& spec)
    : config_(config), comm_(comm) {
  set_up(&spec);
}

Trainer::~Trainer() = default;

void Trainer::set_up(const model::ModelSpec* spec) {
  validate(config_, comm_.size());
  comm_.set_hang_timeout(config_.hang_timeout);
  comm_.mark(0, dist::Phase::kSetup);
  TANDEM_USAGE_CHECK(spec || !config_.model.empty() || !config_.resume.empty(),
                     "no model given; pass --model FILE.model");
  config_.threads = configure_threads(config_.threads, comm_);
  stored_options_ = option_texts(config_);
  stored_options_.erase("resume");  // where this invocation started, not part of the run
  if (config_.overfit_batches > 0)  // regularization off: the point is to fit these batches exactly
    config_.optimizer.weight_decay = config_.optimizer.l1 = config_.max_norm = 0;
  std::string stored_spec;
  if (!config_.resume.empty()) stored_spec = io::read_checkpoint_meta(config_.resume).spec_text;
  spec_ = spec                    ? *spec
          : config_.model.empty() ? model::parse_spec(stored_spec, config_.resume + ":/model/spec")
                                  : model::load_spec_file(config_.model);
  model::BuildOptions build;
  build.bn_comm = config_.bn_sync == BnSync::kGlobal ? &comm_ : nullptr;
  build.precision = config_.precision;
  load_splits();
  fill_class_counts(spec_, train_);  // before building: a Huffman tree needs them
  model_ = model::build_model(spec_, build);
  load_data();
  agree_across_ranks();
  model::initialize(model_->graph, config_.seed);
  transfer();
  dist::broadcast_floats(comm_, model_->graph.params());  // identical start, whatever the RNG did
  dist::broadcast_floats(comm_, model_->graph.state());
  build_training_parts();
  progress_.ranks = comm_.size();
  if (!config_.resume.empty()) restore(config_.resume);
}

void Trainer::load_splits() {
  dist::Comm* node = config_.data_cache == data::DataCache::kNode ? &comm_ : nullptr;
  const bool check = !config_.no_check_finite;
  train_ = data::Dataset::load(config_.data, "train", config_.train_limit, config_.data_mode,
                               config_.data_memory_mb, node, check);
  test_ = data::Dataset::load(config_.data, "test", config_.test_limit, config_.data_mode,
                              config_.data_memory_mb, node, check);
  TANDEM_USAGE_CHECK(train_.size() > 0, "the training split of '", config_.data, "' is empty");
}

void Trainer::load_data() {
  check_compatible(*model_, train_, "'" + config_.data + "' /train");
  check_compatible(*model_, test_, "'" + config_.data + "' /test");
  // --curriculum: each training sample's difficulty (streamed or not, a float per sample in memory).
  std::vector<float> difficulty;
  const bool curriculum = config_.curriculum.pace != data::CurriculumPace::kOff;
  TANDEM_USAGE_CHECK(
      !curriculum || !config_.difficulty.empty() || config_.data.find_first_of(",*?[") == std::string::npos,
      "--curriculum with --data '", config_.data,
      "' (several files): give the difficulties in one file with --difficulty FILE (/train/difficulty)");
  if (curriculum)
    difficulty = data::read_difficulty(config_.difficulty.empty() ? config_.data : config_.difficulty,
                                       "train", train_.size(), config_.train_limit == 0);
  if (config_.val_split > 0) {
    const auto ids = data::stratified_split(class_labels(*model_, train_), config_.val_split, config_.seed);
    val_ = train_.subset(ids.val);
    train_ = train_.subset(ids.train);
    if (curriculum) {  // the rows kept for training keep their difficulties
      std::vector<float> kept(ids.train.size());
      for (size_t i = 0; i < kept.size(); ++i) kept[i] = difficulty[ids.train[i]];
      difficulty = std::move(kept);
    }
  }
  if (curriculum)
    curriculum_ = std::make_unique<CurriculumTable>(class_labels(*model_, train_), std::move(difficulty),
                                                    config_.curriculum);
  if (!config_.class_weights.empty()) {
    TANDEM_USAGE_CHECK(train_.targets()[target_field(*model_, train_, 0)].is_labels(),
                       "--class-weights weighs class indices, but the targets of '", model_->heads[0].name,
                       "' are float vectors; drop --class-weights");
    weighted_loss_ = std::make_unique<ops::ClassWeighted>(
        ops::make_loss(model_->spec.losses[0].name),
        ops::parse_class_weights(config_.class_weights, class_labels(*model_, train_), model_->outputs()));
  }
  // --overfit-batches fits fixed batches: no augmentation either.
  const auto augment =
      config_.overfit_batches > 0 ? data::AugmentConfig{} : data::parse_augment(config_.augment);
  augmenter_ = std::make_unique<data::Augmenter>(augment, model_->input_shape(), config_.seed);
  // Fitted on the training part only; a resumed run reads the fitted statistics back instead.
  if (config_.resume.empty())
    model_->preprocessing = data::fit_preprocessing(train_, config_.preprocess, config_.whiten_eps, comm_,
                                                    input_field(*model_, train_, 0));
}

// Every rank reads the same source (and rank 0's values are broadcast after), so all start
// alike. The source's preprocessing is not taken: this run fits its own --preprocess.
void Trainer::transfer() {
  InitReport report;
  if (!config_.init_from.empty()) {
    report = init_from(model_->graph, config_.init_from, config_.init_map);
    for (const auto& line : report.lines()) log::infof(line);
    const std::string mine = enum_name(config_.preprocess);
    if (report.source_preprocess != mine)
      log::warnf("--init-from: the source was trained with --preprocess ", report.source_preprocess,
                 ", this run uses ", mine, ": the copied layers see inputs scaled differently");
  }
  if (config_.freeze.empty()) return;
  model_->graph.set_frozen(frozen_nodes(model_->graph, config_.freeze, comm_.is_root()));
  for (const auto& o : report.nodes)  // frozen at random: most likely a naming slip
    if (o.kind == InitOutcome::Kind::kSkipped && !o.node.empty() &&
        model_->graph.frozen(model_->graph.find(o.node)))
      log::warnf("--freeze: node ", o.node, " is frozen but was not taken from --init-from (", o.reason,
                 "): it stays as initialized");
}

void Trainer::agree_across_ranks() {
  // Ranks must agree on what they train before the first collective of the loop.
  const auto spec_text = model_->spec.to_text();
  dist::require_same(comm_, dist::checksum(spec_text.data(), spec_text.size()), "the model spec");
  const std::string shape_key =
      data_shape().sample_shape + std::to_string(train_.size()) + "/" + std::to_string(test_.size());
  dist::require_same(comm_, dist::checksum(shape_key.data(), shape_key.size()), "the dataset shape");
  auto options = stored_options_;
  options.erase("threads");  // may differ between nodes
  dist::require_same_options(comm_, options);
  if (curriculum_) dist::require_same(comm_, curriculum_->checksum(), "the --difficulty values");
}

Trainer::Batching Trainer::batching(int64_t epoch) const {
  Batching b;
  b.global = config_.step_batch(epoch);
  const int64_t share = (b.global + comm_.size() - 1) / comm_.size();
  b.micro_batches = config_.accumulate;
  if (config_.max_micro_batch > 0)
    b.micro_batches =
        std::max(b.micro_batches, (share + config_.max_micro_batch - 1) / config_.max_micro_batch);
  // Dealt to ranks x micro-batches shares (data::Sampler::micro_shards): the largest holds this.
  b.micro = (b.global + comm_.size() * b.micro_batches - 1) / (comm_.size() * b.micro_batches);
  return b;
}

int64_t Trainer::steps_in_epoch(int64_t epoch) const {
  // A curriculum epoch has the steps of its available samples.
  const int64_t b = config_.step_batch(epoch),
                n = curriculum_ ? curriculum_->curriculum().available(epoch) : train_.size();
  return config_.drop_last ? n / b : (n + b - 1) / b;
}

void Trainer::plan_batches() {
  // Planned once for the largest micro-batch of the whole run: no step allocates.
  micro_batch_ = 0;
  max_micro_batches_ = 1;
  for (int64_t e = 0; e < std::max<int64_t>(config_.epochs, 1); ++e) {
    const auto b = batching(e);
    micro_batch_ = std::max(micro_batch_, b.micro);
    max_micro_batches_ = std::max(max_micro_batches_, b.micro_batches);
  }
  eval_chunk_ = config_.eval_batch > 0 ? config_.eval_batch : micro_batch_;
  model_->graph.plan(std::max(micro_batch_, eval_chunk_));
}

double Trainer::scaled_lr(int64_t epoch) const {
  return optim::scaled_lr(config_.lr, config_.step_batch(epoch), config_.lr_scaling, config_.base_batch);
}

void Trainer::build_schedule() {
  config_.schedule.total_steps = 0;
  for (int64_t e = 0; e < config_.epochs; ++e) config_.schedule.total_steps += steps_in_epoch(e);
  if (config_.warmup_epochs > 0) {
    config_.schedule.warmup_steps =
        std::max<int64_t>(1, std::llround(config_.warmup_epochs * static_cast<double>(steps_in_epoch(0))));
    // From the unscaled rate (Goyal et al.); without scaling, from --lr / W as --warmup-steps does.
    config_.schedule.warmup_start =
        config_.lr_scaling == optim::LrScaling::kNone ? 0.0 : std::min(1.0, config_.lr / scaled_lr(0));
  }
  schedule_ = optim::make_schedule(config_.schedule);
}

void Trainer::build_step_runner() {
  StepOptions step;
  step.accumulate = max_micro_batches_;
  step.seed = config_.seed;
  step.dropout = config_.overfit_batches == 0;
  step.max_norm = config_.max_norm;
  step.overlap_sync = sync_->overlaps();
  step.clip_grad_norm = config_.clip_grad_norm;
  step.measure_grad_norm = config_.clip_grad_norm > 0;
  // The noise scale compares small gradients with the step's: the ranks' shares, or on one
  // rank the micro-batches; a single rank without them has nothing to compare.
  if (config_.gns_every > 0 && (comm_.size() > 1 || max_micro_batches_ > 1) && !coupled_shares()) {
    step.gns_every = config_.gns_every;
    step.gns_micro_batches = comm_.size() == 1;
    noise_ = std::make_unique<NoiseScale>(config_.gns_ema, step.gns_micro_batches ? max_micro_batches_ : 1);
  }
  guard_ = std::make_unique<NonfiniteGuard>(config_.nonfinite, model_->graph, *optimizer_);
  runner_ = std::make_unique<StepRunner>(*model_, *feed_, *augmenter_, *optimizer_, *sync_, step,
                                         weighted_loss_.get(), hard_examples_.get(), noise_.get(), &comm_);
}

// The optimizer works on the sync's pieces: only its own when sharded, every one otherwise
// (sums over a group are then added in the same piece order, so both make the same updates).
void Trainer::share_optimizer_step() {
  const bool requested_overlap = config_.grad_sync == dist::GradSyncMode::kBucketed;
  if (comm_.is_root() && requested_overlap && !sync_->overlaps() && comm_.size() > 1)
    log::warnf(
        "--grad-sync bucketed does not apply with --shard-optimizer or --grad-dtype bf16: the gradients "
        "are exchanged after backward");
  optim::Partition partition;
  partition.bounds = sync_->pieces();
  const auto params = static_cast<int64_t>(model_->graph.params().size());
  if (partition.bounds.back() < params)
    partition.bounds.push_back(params);  // the frozen rest: no one updates it
  if (sync_->sharded()) {
    TANDEM_USAGE_CHECK(!optim::optimizer_registry().get(config_.optimizer.name).full_batch,
                       "--shard-optimizer applies to mini-batch optimizers; ", config_.optimizer.name,
                       " runs on the whole training split: drop --shard-optimizer");
    partition.owned = comm_.rank();
    partition.gather = [this](const double* mine, int64_t k, double* all) { comm_.allgather(mine, k, all); };
  }
  optimizer_->set_partition(std::move(partition));
}

void Trainer::build_training_parts() {
  plan_batches();
  feed_ = std::make_unique<DataFeed>(*model_, train_, "'" + config_.data + "' /train");
  optimizer_ = optim::make_optimizer(config_.optimizer);
  optimizer_->set_groups(
      parameter_groups(model_->graph, config_.optimizer, config_.param_groups, comm_.is_root()));
  if (optim::optimizer_registry().get(config_.optimizer.name).full_batch) check_full_batch_setup();
  build_schedule();

  const auto cap = static_cast<int64_t>(config_.bucket_mb * 1024 * 1024);
  // A small first bucket starts communication early (as PyTorch DDP's 1 MiB first bucket).
  // Frozen parameters at the end of the arena (the first layers) get no gradient: not exchanged.
  sync_ = std::make_unique<dist::GradientSync>(
      comm_, model_->graph.grads().first(trainable_prefix(model_->graph)), config_.grad_sync, cap,
      std::min<int64_t>(cap, 256 * 1024), dist::ExchangeOptions{config_.grad_dtype, config_.shard_optimizer});
  share_optimizer_step();
  if (config_.hard_examples > 0 && config_.overfit_batches == 0)  // overfitting keeps its fixed batches
    hard_examples_ = std::make_unique<HardExampleTable>(class_labels(*model_, train_), config_.hard_examples,
                                                        config_.hard_cap);
  build_step_runner();
  const Metric monitor = config_.monitor != Metric::kAuto ? config_.monitor
                         : val_.size() > 0                ? Metric::kValLoss
                                                          : Metric::kTrainLoss;
  const bool needs_val = monitor == Metric::kValLoss || monitor == Metric::kValAccuracy;
  TANDEM_USAGE_CHECK(val_.size() > 0 || !needs_val, "--monitor ", enum_name(monitor),
                     " needs a validation set: add --val-split F");
  callbacks_ = std::make_unique<EpochCallbacks>(monitor, config_);
  stop_ = std::make_unique<StopPolicy>(config_, comm_);
  if (config_.target.active()) {
    const bool needs_val =
        config_.target.metric == Metric::kValLoss || config_.target.metric == Metric::kValAccuracy;
    TANDEM_USAGE_CHECK(val_.size() > 0 || !needs_val, "--target ", format_target(config_.target),
                       " needs a validation set: add --val-split F");
    target_ = std::make_unique<TargetWatch>(config_.target);
  }
  dir_ = std::make_unique<RunDirectory>(config_.out, comm_.is_root(), config_.keep_last);
}

bool Trainer::coupled_shares() const {
  // Synchronized batch norm makes each rank's gradient depend on every rank's samples: the
  // shares are then no independent small batches (measured: negative |G|^2 estimates).
  if (comm_.size() == 1 || config_.bn_sync != BnSync::kGlobal) return false;
  for (int id = 0; id < model_->graph.node_count(); ++id) {
    const auto& n = model_->graph.node(id);
    if (!n.is_input() && n.op->uses_batch_statistics()) return true;
  }
  return false;
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

namespace {

// The same model and data as the checkpoint, or UsageError listing what differs.
void check_resumable(const std::string& path, const io::CheckpointMeta& meta, const std::string& spec_text,
                     const io::DataShape& now) {
  std::vector<std::string> diffs;
  if (meta.spec_text != spec_text)
    diffs.push_back("model spec:\n    checkpoint:\n" + meta.spec_text + "    this run:\n" + spec_text);
  auto differ = [&](const std::string& what, const std::string& a, const std::string& b) {
    if (a != b) diffs.push_back(what + ": checkpoint " + a + ", this run " + b);
  };
  differ("training samples", std::to_string(meta.data.train_size), std::to_string(now.train_size));
  differ("validation samples", std::to_string(meta.data.val_size), std::to_string(now.val_size));
  differ("sample shape", meta.data.sample_shape, now.sample_shape);
  differ("classes", std::to_string(meta.data.classes), std::to_string(now.classes));
  if (diffs.empty()) return;
  std::string msg = "cannot resume from '" + path + "': it was written for a different model or dataset:";
  for (const auto& d : diffs) msg += "\n  - " + d;
  throw UsageError(msg + "\nresume with the model and data it was trained on, or start a new run");
}

}  // namespace

void Trainer::restore(const std::string& path) {
  const auto meta = io::read_checkpoint_meta(path);
  check_resumable(path, meta, model_->spec.to_text(), data_shape());
  io::restore_checkpoint(path, *model_, *optimizer_);
  progress_ = meta.progress;
  history_ = meta.history;
  callbacks_->restore(progress_, path, model_->graph);
  meter_.restore(progress_, comm_);
  if (hard_examples_) hard_examples_->restore(path);
  if (curriculum_) curriculum_->restore(path);
  if (noise_) noise_->restore(progress_);
  guard_->restore(progress_);
  if (config_.bn_sync == BnSync::kLocal)
    restore_rank_state(path, "rank_state", progress_.ranks, model_->graph.state(), comm_,
                       OnOtherRanks::kMean);
  restore_rank_state(path, "grad_residual", progress_.ranks, sync_->residual(), comm_,
                     OnOtherRanks::kShareSum);
  log::infof("resuming from ", path, " (written by ", meta.progress.ranks, " rank(s)): epoch ",
             progress_.epoch + 1, ", batch ", progress_.batch, ", global step ", progress_.global_step);
  progress_.ranks = comm_.size();
}

}  // namespace tandem::train
