#include "tandem/train/step_runner.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "tandem/core/error.hpp"
#include "tandem/core/strings.hpp"
#include "tandem/tensor/kernels.hpp"

namespace tandem::train {

std::vector<StepRunner::Fault> StepRunner::nan_gradient_faults() {
  // Fault injection for the tests of --on-nonfinite: TANDEM_FAULT_NAN_GRAD=STEP:RANK[,...] puts
  // a nan into that rank's gradient at that global step, before the ranks' gradients are summed.
  std::vector<Fault> faults;
  const char* text = std::getenv("TANDEM_FAULT_NAN_GRAD");
  for (const auto& item : split(text ? text : "", ",")) {
    char* end = nullptr;
    Fault f;
    f.step = std::strtoll(item.c_str(), &end, 10);
    if (*end == ':') f.rank = static_cast<int>(std::strtol(end + 1, &end, 10));
    TANDEM_USAGE_CHECK(!item.empty() && *end == '\0' && f.rank >= 0,
                       "TANDEM_FAULT_NAN_GRAD takes STEP:RANK[,STEP:RANK...], got '", text, "'");
    faults.push_back(f);
  }
  return faults;
}

StepRunner::StepRunner(model::Model& model, DataFeed& feed, data::Augmenter& augmenter,
                       optim::Optimizer& optimizer, dist::GradientSync& sync, const StepOptions& options,
                       ops::Loss* weighted_first, HardExampleTable* hard, NoiseScale* noise, dist::Comm* comm)
    : model_(model),
      feed_(feed),
      augmenter_(augmenter),
      optimizer_(optimizer),
      sync_(sync),
      options_(options),
      weighted_first_(weighted_first),
      hard_(hard),
      noise_(options.gns_every > 0 ? noise : nullptr),
      comm_(comm) {
  TANDEM_ASSERT(!noise_ || comm_, "StepRunner: the noise scale needs the communicator");
  TANDEM_ASSERT(!sync.sharded() || comm_, "StepRunner: a sharded step needs the communicator");
  if (noise_ && options.gns_micro_batches) previous_grads_.resize(model.graph.grads().size());
  for (const auto& ref : model.graph.param_refs())
    if (ref.spec.decay && !model.graph.frozen(ref.node)) {  // a frozen weight stays as it is
      const int64_t rows = ref.spec.shape[0];
      max_norm_rows_.push_back({ref.offset, rows, ref.spec.shape.numel() / rows});
    }
  if (options.overlap_sync) on_grads_final_ = [this](int64_t floats) { sync_.ready(floats); };
  sample_loss_.resize(static_cast<size_t>(model.graph.max_batch()));
  faults_ = nan_gradient_faults();
}

StepRunner::Result StepRunner::micro_step(std::span<const int64_t> ids, int64_t global, int64_t epoch,
                                          bool last) {
  auto& g = model_.graph;
  const auto count = static_cast<int64_t>(ids.size());
  feed_.gather(ids.data(), count, augmenter_, static_cast<uint32_t>(epoch));
  graph::RunInfo run;
  run.training = true;
  run.seed = options_.seed;
  run.epoch = static_cast<uint32_t>(epoch);
  run.sample_ids = ids.data();
  run.dropout = options_.dropout;
  run.labels = feed_.node_labels();  // ops may compute each sample's own class only
  g.forward(count, run);
  // Seeding with 1 / global makes the rank-summed gradients those of the global mean loss.
  Result r;
  r.loss = feed_.loss(count, 1.0f / static_cast<float>(global), true, hard_ ? sample_loss_.data() : nullptr,
                      weighted_first_, true);
  r.correct = feed_.correct(count, true);
  if (hard_) hard_->record(ids, std::span<const float>(sample_loss_.data(), ids.size()));
  // Only the last micro-batch's backward completes gradients that can be sent.
  g.backward(count, run, last ? on_grads_final_ : no_progress_);
  return r;
}

void StepRunner::measure_micro_batch(int64_t count, int64_t global) {
  // The micro-batch's part of the arena is its change since the previous micro-batch (taken
  // even for an empty one, to keep `previous` current); its mean gradient is global / count
  // times that part.
  const auto grads = model_.graph.grads();
  const double sq = kernels::sum_squares_of_change(grads.data(), previous_grads_.data(),
                                                   static_cast<int64_t>(grads.size()));
  if (count == 0) return;
  const double scale = static_cast<double>(global) / static_cast<double>(count);
  noise_->add_small(static_cast<double>(count), scale * scale * sq);
}

void StepRunner::end_noise_step(const Result& r, int64_t count, int64_t global) {
  if (!options_.gns_micro_batches && count > 0) {  // this rank's share: global / count times its part
    const double scale = static_cast<double>(global) / static_cast<double>(count);
    noise_->add_small(static_cast<double>(count), scale * scale * sync_.local_sq_norm());
  }
  noise_->end_step(static_cast<double>(global), r.grad_norm * r.grad_norm, *comm_);
}

bool StepRunner::grads_finite(const Result& r) const {
  if (r.grad_norm >= 0) return std::isfinite(r.grad_norm);  // measured over the whole gradient
  // This rank's piece of the synchronized gradient (every piece is some rank's; the agreement
  // that follows covers the rest). Its squares are summed in double: finite iff every value is.
  const auto& pieces = sync_.pieces();
  const int q = comm_ ? comm_->rank() : 0;
  const auto grads = model_.graph.grads();
  return std::isfinite(kernels::sum_squares(grads.data() + pieces[q], pieces[q + 1] - pieces[q]));
}

void StepRunner::inject_fault(int64_t step) {
  const int rank = comm_ ? comm_->rank() : 0;
  for (const auto& f : faults_)
    if (f.step == step && f.rank == rank && !model_.graph.grads().empty())
      model_.graph.grads()[0] = std::numeric_limits<float>::quiet_NaN();
}

void StepRunner::clip(Result& r) {
  // The synchronized gradient: the same norm, and the same clipping, on every rank.
  auto grads = model_.graph.grads();
  const auto n = static_cast<int64_t>(grads.size());
  r.grad_norm = std::sqrt(sync_.sum_squares());
  r.finite = r.finite && std::isfinite(r.grad_norm);
  if (options_.clip_grad_norm > 0 && r.grad_norm > options_.clip_grad_norm) {
    kernels::scale(grads.data(), n, static_cast<float>(options_.clip_grad_norm / r.grad_norm));
    r.clipped = true;
  }
}

StepRunner::Result StepRunner::step(std::span<const int64_t> ids, std::span<const int64_t> bounds,
                                    int64_t global, int64_t epoch, double lr, int64_t step) {
  auto& g = model_.graph;
  mark(step, dist::Phase::kForwardBackward);
  g.zero_grads();
  const auto count = static_cast<int64_t>(ids.size());
  const auto k = static_cast<int64_t>(bounds.size()) - 1;  // this epoch's micro-batches
  TANDEM_ASSERT(k >= 1 && k <= options_.accumulate, "StepRunner: ", k, " micro-batches given, at most ",
                options_.accumulate, " planned");
  noise_due_ = noise_ && step % options_.gns_every == 0;
  if (noise_due_ && options_.gns_micro_batches)
    std::fill(previous_grads_.begin(), previous_grads_.end(), 0.0f);
  if (noise_due_ && !options_.gns_micro_batches) sync_.measure_local_norm();
  Result total;
  // Every rank runs k micro-batches (some possibly empty): batch norm reduces in each.
  for (int64_t m = 0; m < k; ++m) {
    const int64_t begin = bounds[m], end = bounds[m + 1];
    const auto r = micro_step(ids.subspan(begin, end - begin), global, epoch, m == k - 1);
    total.loss += r.loss;
    total.correct += r.correct;
    if (noise_due_ && options_.gns_micro_batches) measure_micro_batch(end - begin, global);
  }
  inject_fault(step);
  mark(step, dist::Phase::kGradientExchange);
  sync_.finish();
  total.finite = std::isfinite(total.loss);
  if (options_.measure_grad_norm || noise_due_) clip(total);
  if (noise_due_) end_noise_step(total, count, global);
  total.finite = total.finite && grads_finite(total);
  // The ranks agree before anyone updates (--on-nonfinite needs them on the same branch; LARS
  // and LAMB complete their sums across ranks inside the step): one 8-byte reduction.
  if (comm_ && comm_->size() > 1) {
    double bad = total.finite ? 0.0 : 1.0;
    comm_->allreduce_max(&bad, 1);
    total.finite = bad == 0.0;
  }
  // A dropped step carries no rounding error forward (it may hold nan).
  if (!total.finite) std::fill(sync_.residual().begin(), sync_.residual().end(), 0.0f);
  mark(step, dist::Phase::kOptimizerStep);
  if (total.finite) optimizer_.step(g.params(), g.grads(), lr);
  sync_.gather_params(g.params());
  if (!total.finite) return total;
  if (options_.max_norm > 0) optim::apply_max_norm(g.params(), max_norm_rows_, options_.max_norm);
  return total;
}

}  // namespace tandem::train
