#include "tandem/train/config.hpp"

#include <cmath>

#include "tandem/core/error.hpp"
#include "tandem/data/augment.hpp"

namespace tandem::train {
namespace {

void check_curriculum_options(const TrainConfig& c) {
  data::validate(c.curriculum);
  const bool on = c.curriculum.pace != data::CurriculumPace::kOff;
  TANDEM_USAGE_CHECK(on || c.difficulty.empty(), "--difficulty ", c.difficulty,
                     " ranks samples for --curriculum: add --curriculum linear|step, or drop --difficulty");
  TANDEM_USAGE_CHECK(!on || c.hard_examples == 0,
                     "--curriculum and --hard-examples both decide which samples fill a batch (the easiest "
                     "ones, or those drawn by loss); use one of them");
}

void check_data_options(const TrainConfig& c) {
  TANDEM_USAGE_CHECK(!c.data.empty(), "no dataset given; pass --data FILE.h5");
  TANDEM_USAGE_CHECK(c.train_limit >= 0, "--train-limit must be >= 0 (0: all), got ", c.train_limit);
  TANDEM_USAGE_CHECK(c.test_limit >= 0, "--test-limit must be >= 0 (0: all), got ", c.test_limit);
  TANDEM_USAGE_CHECK(c.data_memory_mb >= 0, "--data-memory-mb must be >= 0, got ", c.data_memory_mb);
  TANDEM_USAGE_CHECK(c.prefetch >= 0 && c.prefetch <= 64, "--prefetch must be in [0, 64] (0: off), got ",
                     c.prefetch);
  TANDEM_USAGE_CHECK(c.eval_batch >= 0, "--eval-batch must be >= 0 (0: the per-rank batch), got ",
                     c.eval_batch);
  TANDEM_USAGE_CHECK(c.val_split >= 0 && c.val_split < 1, "--val-split must be in [0, 1), got ", c.val_split);
  TANDEM_USAGE_CHECK(c.whiten_eps >= 0, "--whiten-eps must be >= 0, got ", c.whiten_eps);
  TANDEM_USAGE_CHECK(c.hard_examples >= 0 && c.hard_examples <= 1, "--hard-examples must be in [0, 1], got ",
                     c.hard_examples);
  TANDEM_USAGE_CHECK(c.hard_cap >= 1, "--hard-cap must be >= 1, got ", c.hard_cap);
  data::parse_augment(c.augment);
  check_curriculum_options(c);
}

void check_parallel_options(const TrainConfig& c, int ranks) {
  TANDEM_USAGE_CHECK(c.batch_size > 0, "--batch-size must be positive, got ", c.batch_size);
  TANDEM_USAGE_CHECK(c.batch_size >= ranks, "the global batch (--batch-size ", c.batch_size,
                     ") is smaller than the number of ranks (", ranks,
                     "); every rank needs at least one sample: raise --batch-size or use fewer ranks");
  TANDEM_USAGE_CHECK(c.accumulate >= 1, "--accumulate must be >= 1, got ", c.accumulate);
  TANDEM_USAGE_CHECK(c.max_micro_batch >= 0, "--max-micro-batch must be >= 0 (0: off), got ",
                     c.max_micro_batch);
  TANDEM_USAGE_CHECK(c.batch_schedule.empty() || c.accumulate == 1,
                     "--batch-schedule sets the whole batch of "
                     "a step; drop --accumulate (--max-micro-batch bounds what a rank runs at once)");
  for (const auto& e : c.batch_schedule.entries)
    TANDEM_USAGE_CHECK(e.batch >= ranks, "--batch-schedule batch ", e.batch, " (epoch ", e.epoch,
                       ") is smaller than the number of ranks (", ranks, "); every rank needs a sample");
  TANDEM_USAGE_CHECK(c.bucket_mb > 0 && c.bucket_mb <= 1024, "--bucket-mb must be in (0, 1024], got ",
                     c.bucket_mb);
  TANDEM_USAGE_CHECK(c.threads >= 0, "--threads must be >= 0 (0: automatic), got ", c.threads);
}

void check_optimization_options(const TrainConfig& c) {
  TANDEM_USAGE_CHECK(c.epochs >= 0, "--epochs must be >= 0, got ", c.epochs);
  TANDEM_USAGE_CHECK(c.lr > 0 && std::isfinite(c.lr), "--lr must be positive, got ", c.lr);
  optim::validate(c.optimizer);
  optim::validate(c.schedule);
  optim::parse_group_rules(c.param_groups);
  TANDEM_USAGE_CHECK(c.max_norm >= 0, "--max-norm must be >= 0 (0: off), got ", c.max_norm);
  TANDEM_USAGE_CHECK(c.hang_timeout >= 0 && std::isfinite(c.hang_timeout),
                     "--hang-timeout must be >= 0 seconds (0: off), got ", c.hang_timeout);
  TANDEM_USAGE_CHECK(c.clip_grad_norm >= 0, "--clip-grad-norm must be >= 0 (0: off), got ", c.clip_grad_norm);
  TANDEM_USAGE_CHECK(c.gns_every >= 0, "--gns-every must be >= 0 (0: never), got ", c.gns_every);
  TANDEM_USAGE_CHECK(c.gns_ema >= 0 && c.gns_ema < 1, "--gns-ema must be in [0, 1), got ", c.gns_ema);
  TANDEM_USAGE_CHECK(c.base_batch >= 1, "--base-batch must be >= 1, got ", c.base_batch);
  TANDEM_USAGE_CHECK(c.warmup_epochs >= 0, "--warmup-epochs must be >= 0, got ", c.warmup_epochs);
  TANDEM_USAGE_CHECK(c.warmup_epochs == 0 || c.schedule.warmup_steps == 0,
                     "give --warmup-epochs or --warmup-steps, not both");
  TANDEM_USAGE_CHECK(c.overfit_batches >= 0, "--overfit-batches must be >= 0, got ", c.overfit_batches);
}

void check_lifecycle_options(const TrainConfig& c) {
  TANDEM_USAGE_CHECK(c.keep_last >= 1, "--keep-last must be >= 1, got ", c.keep_last);
  TANDEM_USAGE_CHECK(c.min_delta >= 0, "--min-delta must be >= 0, got ", c.min_delta);
  TANDEM_USAGE_CHECK(c.early_stop_patience >= 0, "--early-stop-patience must be >= 0 (0: off), got ",
                     c.early_stop_patience);
  TANDEM_USAGE_CHECK(c.plateau_patience >= 0, "--plateau-patience must be >= 0 (0: off), got ",
                     c.plateau_patience);
  TANDEM_USAGE_CHECK(c.plateau_factor > 0 && c.plateau_factor < 1, "--plateau-factor must be in (0, 1), got ",
                     c.plateau_factor);
  TANDEM_USAGE_CHECK(c.stop_after_steps >= 0, "--stop-after-steps must be >= 0 (0: off), got ",
                     c.stop_after_steps);
  TANDEM_USAGE_CHECK(c.max_steps >= 0, "--max-steps must be >= 0 (0: no limit), got ", c.max_steps);
  TANDEM_USAGE_CHECK(c.log_every_steps >= 0, "--log-every-steps must be >= 0 (0: off), got ",
                     c.log_every_steps);
  // --resume restores every parameter: --init-from would be silently overwritten.
  TANDEM_USAGE_CHECK(
      c.init_from.empty() || c.resume.empty(), "--init-from '", c.init_from,
      "' and --resume cannot be combined (a resumed run continues from the checkpoint's parameters); "
      "drop --init-from to continue the run, or --resume to start a new one from those parameters");
  TANDEM_USAGE_CHECK(c.init_map.empty() || !c.init_from.empty(),
                     "--init-map renames the nodes --init-from copies; give --init-from MODEL.h5 too");
}

}  // namespace

void validate(const TrainConfig& c, int ranks) {
  check_data_options(c);
  check_parallel_options(c, ranks);
  check_optimization_options(c);
  check_lifecycle_options(c);
}

}  // namespace tandem::train
