#include "tandem/train/trainer.hpp"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>

#include <sys/resource.h>

#include "tandem/core/error.hpp"
#include "tandem/core/json.hpp"
#include "tandem/core/log.hpp"
#include "tandem/data/split.hpp"
#include "tandem/dist/sync.hpp"
#include "tandem/io/model_file.hpp"
#include "tandem/tensor/kernels.hpp"
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
  TANDEM_USAGE_CHECK(!c.model.empty(), "no model given; pass --model FILE.model");
}

}  // namespace

std::string EpochRecord::json() const {
  JsonObject o;
  o.add("epoch", epoch).add("step", step).add("train_loss", train_loss).add("train_accuracy", train_accuracy);
  if (val) o.add("val_loss", val->loss).add("val_accuracy", val->accuracy);
  o.add("test_loss", test_loss).add("test_accuracy", test_accuracy).add("lr", lr);
  o.add("seconds", seconds).add("samples_per_s", samples_per_s).add("grad_wait_s", grad_wait_s);
  return o.str();
}

Trainer::Trainer(const TrainConfig& config, dist::Comm& comm) : config_(config), comm_(comm) {
  validate(config, comm);
  config_.threads = configure_threads(config.threads, comm);

  auto spec = model::load_spec_file(config.model);
  model::BuildOptions build;
  build.bn_comm = config.bn_sync == "global" ? &comm : nullptr;
  model_ = model::build_model(spec, build);
  train_ = data::Dataset::load(config.data, "train", config.train_limit);
  test_ = data::Dataset::load(config.data, "test", config.test_limit);
  TANDEM_USAGE_CHECK(train_.size() > 0, "the training split of '", config.data, "' is empty");
  check_compatible(*model_, train_, "'" + config.data + "' /train");
  check_compatible(*model_, test_, "'" + config.data + "' /test");
  if (config.val_split > 0) {
    const auto ids = data::stratified_split(train_.labels(), config.val_split, config.seed);
    val_ = train_.subset(ids.val);
    train_ = train_.subset(ids.train);
  }

  // Ranks must agree on what they train before the first collective of the loop.
  const auto spec_text = model_->spec.to_text();
  dist::require_same(comm, dist::checksum(spec_text.data(), spec_text.size()), "the model spec");
  std::string shape_key =
      train_.sample_shape().str() + std::to_string(train_.size()) + "/" + std::to_string(test_.size());
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
  labels_.resize(micro_batch_);
  predicted_.resize(micro_batch_);

  optimizer_ = optim::make_optimizer(config.optimizer);
  std::vector<std::pair<int64_t, int64_t>> decay;
  for (const auto& ref : model_->graph.param_refs())
    if (ref.spec.decay) decay.emplace_back(ref.offset, ref.offset + ref.spec.shape.numel());
  optimizer_->set_decay_ranges(std::move(decay));
  schedule_ = optim::make_schedule(config.schedule);

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
             " test samples of shape ", train_.sample_shape().str());
}

double Trainer::micro_step(std::span<const int64_t> ids, int64_t global, int64_t epoch, bool sync_now) {
  auto& g = model_->graph;
  const auto count = static_cast<int64_t>(ids.size());
  train_.gather(ids.data(), count, g.value(model_->input, count).data(), labels_.data());
  graph::RunInfo run;
  run.training = true;
  run.seed = config_.seed;
  run.epoch = static_cast<uint32_t>(epoch);
  run.sample_ids = ids.data();
  g.forward(count, run);
  const Tensor out = g.value(model_->output, count);
  ops::Targets t;
  t.labels = labels_.data();
  // Seeding with 1 / global makes the rank-summed gradients those of the global mean loss.
  const double loss = model_->loss->forward_backward(out, t, 1.0f / static_cast<float>(global),
                                                     g.value_grad(model_->output, count));
  kernels::argmax_rows(out.data(), count, model_->outputs(), predicted_.data());
  for (int64_t i = 0; i < count; ++i) correct_ += predicted_[i] == labels_[i] ? 1 : 0;
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
  const double lr = schedule_->lr(config_.lr, epoch, global_step_);
  optimizer_->step(g.params(), g.grads(), lr);
  ++global_step_;
  return loss;
}

void Trainer::average_state() {
  auto state = model_->graph.state();
  if (comm_.size() == 1 || state.empty()) return;
  comm_.allreduce_sum(state.data(), static_cast<int64_t>(state.size()));
  kernels::scale(state.data(), static_cast<int64_t>(state.size()), 1.0f / static_cast<float>(comm_.size()));
}

std::vector<EpochRecord> Trainer::run() {
  describe_layout();
  std::ofstream metrics;
  if (!config_.out.empty() && comm_.is_root()) {
    std::filesystem::create_directories(config_.out);
    metrics.open(config_.out + "/metrics.jsonl", std::ios::trunc);
    TANDEM_CHECK(metrics.good(), "cannot write '", config_.out, "/metrics.jsonl'; check --out");
  }
  data::Sampler sampler(train_.labels(), config_.batch_size * config_.accumulate, config_.seed,
                        config_.drop_last);
  TANDEM_USAGE_CHECK(sampler.batches() > 0, "--drop-last with a global batch of ",
                     config_.batch_size * config_.accumulate, " leaves no batch of the ", train_.size(),
                     " training samples; lower --batch-size or drop --drop-last");
  std::vector<EpochRecord> history;
  for (int64_t epoch = 0; epoch < config_.epochs; ++epoch) {
    sampler.start_epoch(epoch);
    correct_ = 0;
    sync_->reset_wait();
    double loss_sum = 0, seen = 0;
    const double lr = schedule_->lr(config_.lr, epoch, global_step_);
    comm_.barrier();
    const double t0 = now();
    for (int64_t b = 0; b < sampler.batches(); ++b) {
      loss_sum += step(sampler.shard(b, comm_.rank(), comm_.size()), sampler.batch_size(b), epoch);
      seen += static_cast<double>(sampler.batch_size(b));
    }
    comm_.barrier();
    const double seconds = now() - t0;
    if (config_.bn_sync == "local") average_state();
    double sums[2] = {loss_sum, correct_};
    comm_.allreduce_sum(sums, 2);
    EpochRecord r;
    if (val_.size() > 0) r.val = evaluate(*model_, val_, comm_, eval_chunk_);
    const auto test = evaluate(*model_, test_, comm_, eval_chunk_);
    r.epoch = epoch + 1;
    r.step = global_step_;
    r.train_loss = sums[0] / seen;
    r.train_accuracy = sums[1] / seen;
    r.test_loss = test.loss;
    r.test_accuracy = test.accuracy;
    r.lr = lr;
    r.seconds = seconds;
    r.samples_per_s = seen / seconds;
    r.grad_wait_s = sync_->wait_seconds();
    TANDEM_CHECK(std::isfinite(r.train_loss), "the training loss became ", r.train_loss, " in epoch ",
                 r.epoch, "; lower --lr or check the data");
    history.push_back(r);
    log::infof("epoch ", r.epoch, "/", config_.epochs, "  train_loss ", fixed(r.train_loss, 4),
               "  train_acc ", fixed(r.train_accuracy, 4),
               r.val ? "  val_loss " + fixed(r.val->loss, 4) + "  val_acc " + fixed(r.val->accuracy, 4)
                     : std::string(),
               "  test_loss ", fixed(r.test_loss, 4), "  test_acc ", fixed(r.test_accuracy, 4), "  lr ", r.lr,
               "  ", fixed(r.seconds, 2), "s  ", fixed(r.samples_per_s, 0), " samples/s  grad wait ",
               fixed(100.0 * r.grad_wait_s / r.seconds, 1), "%");
    if (metrics.is_open()) {
      metrics << r.json() << '\n';
      metrics.flush();
    }
  }
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
  return history;
}

}  // namespace tandem::train
