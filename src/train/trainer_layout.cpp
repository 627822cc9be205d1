// The layout lines a run starts with: ranks, nodes, threads and precision, the batch and its
// shares, how inputs are held or streamed, the gradient exchange, and the model and data.
#include "tandem/core/log.hpp"
#include "tandem/core/strings.hpp"
#include "tandem/dist/sync.hpp"
#include "tandem/io/row_reader.hpp"
#include "tandem/train/options.hpp"
#include "tandem/train/trainer.hpp"

namespace tandem::train {

void Trainer::describe_layout() const {
  const auto first = batching(progress_.epoch);
  log::infof("tandem ", TANDEM_VERSION, ": ", comm_.node_count(), " node(s), ", comm_.size(), " rank(s), ",
             config_.threads, " thread(s) per rank (OpenBLAS, oneDNN), precision ",
             enum_name(config_.precision), "; global batch ", first.global, ", per rank ",
             (first.global + comm_.size() - 1) / comm_.size(), " at most",
             first.micro_batches > 1 ? " in " + std::to_string(first.micro_batches) + " micro-batches of " +
                                           std::to_string(first.micro)
                                     : std::string());
  if (train_.node_cached() || test_.node_cached())
    log::infof("the inputs held in memory are held once per node, shared by its ", comm_.local_size(),
               " rank(s) (--data-cache node)");
  if (train_.streamed() || test_.streamed())
    log::infof("streaming the inputs of ", train_.streamed() ? "/train" : "",
               train_.streamed() && test_.streamed() ? " and " : "", test_.streamed() ? "/test" : "",
               " from ", config_.data, " (--data-mode ", enum_name(config_.data_mode), ", --data-memory-mb ",
               config_.data_memory_mb, ")");
  for (const auto* d : {&train_, &test_})
    for (const auto& f : d->inputs())
      if (f.reader && !f.reader->direct())
        log::warnf(
            "streaming ", f.reader->object(), " from a chunked or compressed array: every batch reads ",
            "whole chunks through HDF5, many times slower than a contiguous array read directly; "
            "write it in the streaming layout with 'tandem convert shards --from IN.h5 --shards 1 --out "
            "OUT' or 'h5repack -f NONE -l CONTI IN.h5 OUT.h5' (datasets/README.md)");
  if (!config_.batch_schedule.empty())
    log::infof("batch schedule ", format_batch_schedule(config_.batch_schedule),
               ": buffers planned for micro-batches of ", micro_batch_);
  const auto params = model_->graph.param_count();
  log::infof(
      "gradient sync ", enum_name(sync_->mode()), " (", sync_->buckets().size(), " bucket(s) over ",
      sync_->pieces().back() * 4 / 1024, " KiB",
      sync_->pieces().back() < params ? " of " + std::to_string(params * 4 / 1024) + ", the rest frozen" : "",
      ", ", enum_name(config_.grad_dtype), " exchange); optimizer ",
      sync_->sharded()
          ? "sharded: " + std::to_string(sync_->pieces()[comm_.rank() + 1] - sync_->pieces()[comm_.rank()]) +
                " of " + std::to_string(params) + " parameters per rank"
          : std::string("not sharded"),
      "; batch-norm statistics ", enum_name(config_.bn_sync));
  if (noise_)
    log::infof("gradient noise scale every ", config_.gns_every, " step(s), from ",
               comm_.size() > 1 ? std::to_string(comm_.size()) + " rank shares" : "the micro-batches",
               " of the global batch");
  else if (config_.gns_every > 0 && coupled_shares())
    log::infof(
        "gradient noise scale not measured: with --bn-sync global every rank's gradient depends on "
        "all ranks' samples; --bn-sync local, or one rank with --accumulate, gives independent shares");
  if (config_.lr_scaling != optim::LrScaling::kNone || config_.warmup_epochs > 0)
    log::infof("learning rate ", scaled_lr(progress_.epoch), " (--lr ", config_.lr, ", ",
               enum_name(config_.lr_scaling), " scaling for global batch ", first.global,
               " from --base-batch ", config_.base_batch, ")",
               config_.warmup_epochs > 0 ? "; warmup from " + format_number(config_.lr) + " over " +
                                               std::to_string(config_.schedule.warmup_steps) + " steps"
                                         : std::string());
  log::infof("model ", config_.model.empty() ? spec_.source : config_.model, ": ",
             model_->graph.param_count(), " parameters; data ", config_.data, ": ", train_.size(),
             " train / ", val_.size(), " validation / ", test_.size(), " test samples of shape ",
             data_shape().sample_shape);
}

}  // namespace tandem::train
