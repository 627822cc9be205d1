#include "tandem/train/trainer.hpp"

#include "tandem/train/threads.hpp"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>

#include <sys/resource.h>

#include "tandem/core/error.hpp"
#include "tandem/core/json.hpp"
#include "tandem/core/log.hpp"
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

}  // namespace

std::string EpochRecord::json() const {
  JsonObject o;
  o.add("epoch", epoch).add("step", step).add("train_loss", train_loss).add("train_accuracy", train_accuracy);
  o.add("test_loss", test_loss).add("test_accuracy", test_accuracy).add("lr", lr);
  o.add("seconds", seconds).add("samples_per_s", samples_per_s);
  return o.str();
}

Trainer::Trainer(const TrainConfig& config, dist::Comm& comm) : config_(config), comm_(comm) {
  TANDEM_USAGE_CHECK(config.batch_size > 0, "--batch-size must be positive, got ", config.batch_size);
  TANDEM_USAGE_CHECK(config.lr > 0 && std::isfinite(config.lr), "--lr must be positive, got ", config.lr);
  TANDEM_USAGE_CHECK(config.epochs >= 0, "--epochs must be >= 0, got ", config.epochs);
  TANDEM_USAGE_CHECK(config.batch_size >= comm.size(), "the global batch (--batch-size ", config.batch_size,
                     ") is smaller than the number of ranks (", comm.size(),
                     "); every rank needs at least one sample: raise --batch-size or use fewer ranks");
  TANDEM_USAGE_CHECK(!config.data.empty(), "no dataset given; pass --data FILE.h5");
  TANDEM_USAGE_CHECK(!config.model.empty(), "no model given; pass --model FILE.model");

  config_.threads = configure_threads(config.threads, comm);

  auto spec = model::load_spec_file(config.model);
  model::BuildOptions build;
  build.bn_comm = &comm;
  model_ = model::build_model(spec, build);
  train_ = data::Dataset::load(config.data, "train", config.train_limit);
  test_ = data::Dataset::load(config.data, "test", config.test_limit);
  TANDEM_USAGE_CHECK(train_.size() > 0, "the training split of '", config.data, "' is empty");
  check_compatible(*model_, train_, "'" + config.data + "' /train");
  check_compatible(*model_, test_, "'" + config.data + "' /test");

  // Ranks must agree on what they train before the first collective of the loop.
  const auto spec_text = model_->spec.to_text();
  dist::require_same(comm, dist::checksum(spec_text.data(), spec_text.size()), "the model spec");
  std::string shape_key =
      train_.sample_shape().str() + std::to_string(train_.size()) + "/" + std::to_string(test_.size());
  dist::require_same(comm, dist::checksum(shape_key.data(), shape_key.size()), "the dataset shape");
  std::string opts;
  for (const auto& [k, v] : config.resolved)
    if (k != "threads") opts += k + "=" + v + ";";
  dist::require_same(comm, dist::checksum(opts.data(), opts.size()), "the configuration");

  model::initialize(model_->graph, config.seed);
  dist::broadcast_floats(comm, model_->graph.params());  // identical start, whatever the RNG did

  per_rank_batch_ = (config.batch_size + comm.size() - 1) / comm.size();
  const int64_t eval_chunk = config.eval_batch > 0 ? config.eval_batch : per_rank_batch_;
  model_->graph.plan(std::max(per_rank_batch_, eval_chunk));
  labels_.resize(per_rank_batch_);
  predicted_.resize(per_rank_batch_);

  optimizer_ = optim::make_optimizer(config.optimizer);
  std::vector<std::pair<int64_t, int64_t>> decay;
  for (const auto& ref : model_->graph.param_refs())
    if (ref.spec.decay) decay.emplace_back(ref.offset, ref.offset + ref.spec.shape.numel());
  optimizer_->set_decay_ranges(std::move(decay));
  schedule_ = optim::make_schedule(config.schedule);
}

void Trainer::describe_layout() const {
  log::infof("tandem ", TANDEM_VERSION, ": ", comm_.size(), " rank(s) on ", comm_.node_count(), " node(s), ",
             config_.threads, " BLAS thread(s) per rank; global batch ", config_.batch_size, " (",
             per_rank_batch_, " per rank at most)");
  log::infof("model ", config_.model, ": ", model_->graph.param_count(), " parameters; data ", config_.data,
             ": ", train_.size(), " train / ", test_.size(), " test samples of shape ",
             train_.sample_shape().str());
}

double Trainer::step(const int64_t* ids, int64_t count, int64_t global, int64_t epoch) {
  auto& g = model_->graph;
  train_.gather(ids, count, g.value(model_->input, count).data(), labels_.data());
  graph::RunInfo run;
  run.training = true;
  run.seed = config_.seed;
  run.epoch = static_cast<uint32_t>(epoch);
  run.sample_ids = ids;
  g.forward(count, run);
  const Tensor out = g.value(model_->output, count);
  ops::Targets t;
  t.labels = labels_.data();
  // Seeding with 1 / global makes the rank-summed gradients those of the global mean loss.
  const double loss = model_->loss->forward_backward(out, t, 1.0f / static_cast<float>(global),
                                                     g.value_grad(model_->output, count));
  kernels::argmax_rows(out.data(), count, model_->outputs(), predicted_.data());
  for (int64_t i = 0; i < count; ++i) correct_ += predicted_[i] == labels_[i] ? 1 : 0;
  g.zero_grads();
  g.backward(count, run);
  dist::allreduce_gradients(comm_, g.grads());
  const double lr = schedule_->lr(config_.lr, epoch, global_step_);
  optimizer_->step(g.params(), g.grads(), lr);
  ++global_step_;
  return loss;
}

std::vector<EpochRecord> Trainer::run() {
  describe_layout();
  std::ofstream metrics;
  if (!config_.out.empty() && comm_.is_root()) {
    std::filesystem::create_directories(config_.out);
    metrics.open(config_.out + "/metrics.jsonl", std::ios::trunc);
    TANDEM_CHECK(metrics.good(), "cannot write '", config_.out, "/metrics.jsonl'; check --out");
  }
  data::Sampler sampler(train_.size(), config_.batch_size, config_.seed);
  std::vector<EpochRecord> history;
  for (int64_t epoch = 0; epoch < config_.epochs; ++epoch) {
    sampler.start_epoch(epoch);
    correct_ = 0;
    double loss_sum = 0;
    const double lr = schedule_->lr(config_.lr, epoch, global_step_);
    comm_.barrier();
    const double t0 = now();
    for (int64_t b = 0; b < sampler.batches(); ++b) {
      const auto s = sampler.slice(b, comm_.rank(), comm_.size());
      loss_sum += step(sampler.order().data() + s.begin, s.count, s.global, epoch);
    }
    comm_.barrier();
    const double seconds = now() - t0;
    double sums[2] = {loss_sum, correct_};
    comm_.allreduce_sum(sums, 2);
    const int64_t eval_chunk = config_.eval_batch > 0 ? config_.eval_batch : per_rank_batch_;
    const auto test = evaluate(*model_, test_, comm_, eval_chunk);
    EpochRecord r;
    r.epoch = epoch + 1;
    r.step = global_step_;
    const double seen = static_cast<double>(train_.size());  // every sample, once per epoch
    r.train_loss = sums[0] / seen;
    r.train_accuracy = sums[1] / seen;
    r.test_loss = test.loss;
    r.test_accuracy = test.accuracy;
    r.lr = lr;
    r.seconds = seconds;
    r.samples_per_s = seen / seconds;
    TANDEM_CHECK(std::isfinite(r.train_loss), "the training loss became ", r.train_loss, " in epoch ",
                 r.epoch, "; lower --lr or check the data");
    history.push_back(r);
    log::infof("epoch ", r.epoch, "/", config_.epochs, "  train_loss ", fixed(r.train_loss, 4),
               "  train_acc ", fixed(r.train_accuracy, 4), "  test_loss ", fixed(r.test_loss, 4),
               "  test_acc ", fixed(r.test_accuracy, 4), "  lr ", r.lr, "  ", fixed(r.seconds, 2), "s  ",
               fixed(r.samples_per_s, 0), " samples/s");
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
