#include "tandem/train/options.hpp"

#include <cerrno>
#include <cstdlib>
#include <type_traits>

#include "tandem/core/error.hpp"
#include "tandem/core/strings.hpp"
#include "tandem/io/checkpoint.hpp"
#include "tandem/train/target.hpp"

namespace tandem::train {
namespace {

using OnResume = OptionDef::OnResume;

// Text to a field's type, and back. Errors name the option.
template <class T>
T parse_as(const std::string& text, const std::string& option) {
  const std::string what = "--" + option;
  if constexpr (std::is_same_v<T, std::string>) {
    return text;
  } else if constexpr (std::is_same_v<T, bool>) {
    TANDEM_USAGE_CHECK(text == "true" || text == "false" || text == "1" || text == "0", what,
                       " takes true or false, got '", text, "'");
    return text == "true" || text == "1";
  } else if constexpr (std::is_same_v<T, double>) {
    return parse_double(text, what);
  } else if constexpr (std::is_same_v<T, uint64_t>) {
    errno = 0;
    char* end = nullptr;
    const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
    TANDEM_USAGE_CHECK(!text.empty() && text[0] != '-' && *end == '\0' && errno == 0, what,
                       ": expected an integer from 0 to 2^64 - 1, got '", text, "'");
    return static_cast<uint64_t>(v);
  } else if constexpr (std::is_integral_v<T>) {
    return static_cast<T>(parse_int(text, what));
  } else if constexpr (std::is_same_v<T, Every>) {
    return parse_every(text);
  } else if constexpr (std::is_same_v<T, BatchSchedule>) {
    return parse_batch_schedule(text);
  } else if constexpr (std::is_same_v<T, Target>) {
    return parse_target(text);
  } else {
    return parse_enum<T>(text, what);
  }
}

template <class T>
std::string text_of(const T& v) {
  if constexpr (std::is_same_v<T, std::string>) {
    return v;
  } else if constexpr (std::is_same_v<T, bool>) {
    return v ? "true" : "false";
  } else if constexpr (std::is_same_v<T, double>) {
    return format_number(v);
  } else if constexpr (std::is_integral_v<T>) {
    return std::to_string(v);
  } else if constexpr (std::is_same_v<T, Every>) {
    return format_every(v);
  } else if constexpr (std::is_same_v<T, BatchSchedule>) {
    return format_batch_schedule(v);
  } else if constexpr (std::is_same_v<T, Target>) {
    return format_target(v);
  } else {
    return enum_name(v);
  }
}

// One table row: the option bound to the field `access` returns.
template <class Access>
OptionDef option(std::string name, Access access, std::string help, OnResume on_resume = OnResume::kFixed) {
  using T = std::remove_reference_t<decltype(access(std::declval<TrainConfig&>()))>;
  OptionDef o;
  o.name = name;
  o.help = std::move(help);
  o.is_switch = std::is_same_v<T, bool>;
  o.on_resume = on_resume;
  o.set = [access, name](TrainConfig& c, const std::string& text) { access(c) = parse_as<T>(text, name); };
  o.get = [access](const TrainConfig& c) { return text_of(access(const_cast<TrainConfig&>(c))); };
  return o;
}

#define TANDEM_FIELD(path)       \
  [](TrainConfig & c) -> auto& { \
    return c.path;               \
  }

std::vector<OptionDef> make_table() {
  const auto changeable = OnResume::kChangeable;
  // clang-format off
  return {
    option("data", TANDEM_FIELD(data), "HDF5 dataset (see datasets/README.md)", changeable),
    option("model", TANDEM_FIELD(model), "model-spec file (see launch/models/); with --resume: the checkpoint's",
           OnResume::kNotInherited),
    option("out", TANDEM_FIELD(out), "directory receiving metrics.jsonl, checkpoints, best.h5 and final.h5", changeable),
    option("epochs", TANDEM_FIELD(epochs), "passes over the training split", changeable),
    option("batch-size", TANDEM_FIELD(batch_size), "the GLOBAL batch: each of R ranks takes a class-balanced share of ceil(B/R) or floor(B/R) "
           "samples, so results do not depend on the number of ranks"),
    option("batch-schedule", TANDEM_FIELD(batch_schedule),
           "the global batch by epoch, 'EPOCH:BATCH,...' (e.g. 0:256,10:1024,20:4096; before the first entry "
           "--batch-size): changes at epoch boundaries, the rate following --lr-scaling"),
    option("max-micro-batch", TANDEM_FIELD(max_micro_batch),
           "split a rank's share of a step into accumulated micro-batches of at most this many samples (the "
           "result equals the whole share at once, up to batch-norm statistics; 0: off)"),
    option("lr", TANDEM_FIELD(lr), "learning rate", changeable),
    option("optimizer", TANDEM_FIELD(optimizer.name), optim::optimizer_registry().names(" | ")),
    option("momentum", TANDEM_FIELD(optimizer.momentum), "momentum coefficient mu: v <- mu v + g; p <- p - lr v (nesterov: p <- p - lr (g + mu v); lars: "
           "v <- mu v + lr lambda (g + wd w))"),
    option("beta1", TANDEM_FIELD(optimizer.beta1), "adam, adamw, lamb: first-moment decay"),
    option("beta2", TANDEM_FIELD(optimizer.beta2), "adam, adamw, lamb: second-moment decay"),
    option("adam-eps", TANDEM_FIELD(optimizer.eps), "epsilon of adam, adamw, adagrad, rmsprop, lamb"),
    option("rho", TANDEM_FIELD(optimizer.rho), "rmsprop: decay of the squared-gradient average"),
    option("lbfgs-history", TANDEM_FIELD(optimizer.history), "lbfgs: curvature pairs kept"),
    option("lbfgs-tol", TANDEM_FIELD(optimizer.tolerance),
           "lbfgs: stop when every gradient component is below this in magnitude"),
    option("lbfgs-max-evals", TANDEM_FIELD(optimizer.max_evals), "lbfgs: objective evaluations allowed per line search"),
    option("weight-decay", TANDEM_FIELD(optimizer.weight_decay),
           "L2 penalty: g <- g + wd w on weights (dense and conv kernels), not on biases or batch-norm "
           "gamma, beta; adamw: decoupled, p <- p - lr wd p"),
    option("l1", TANDEM_FIELD(optimizer.l1), "L1 penalty on weights: g += l1 sign(w)"),
    option("trust-coefficient", TANDEM_FIELD(optimizer.trust_coefficient),
           "lars: eta in the layer-wise trust ratio eta |w| / (|g| + wd |w|)"),
    option("param-groups", TANDEM_FIELD(param_groups),
           "per-tensor options overriding the defaults (weights: --weight-decay, --l1; biases and batch-norm: "
           "none), 'PATTERN:key=value,...;...' with PATTERN a glob over NODE.PARAM names and keys weight_decay, "
           "l1, lr_scale, adapt (0 or 1: lars and lamb scale by the trust ratio; weights 1, others 0); e.g. "
           "'batchnorm*:weight_decay=1e-4;dense_3.*:lr_scale=0.1'"),
    option("init-from", TANDEM_FIELD(init_from),
           "start from the parameters and batch-norm statistics of this model file or checkpoint, copied node by "
           "node by name where the shapes agree (each node's outcome reported); preprocessing is this run's own",
           OnResume::kNotInherited),
    option("init-map", TANDEM_FIELD(init_map),
           "--init-from: source nodes copied into differently named nodes, 'OLD=NEW,...' (OLD in the source, "
           "NEW in this model)", OnResume::kNotInherited),
    option("freeze", TANDEM_FIELD(freeze),
           "nodes left untrained, 'PATTERN,...' (globs over node names, e.g. 'conv2d_*'): no parameter "
           "gradient, no update, no decay, and backward stops where no node before is trainable; frozen batch "
           "norm normalizes with its running statistics and keeps them"),
    option("max-norm", TANDEM_FIELD(max_norm),
           "after each step, scale every weight row (unit, filter) longer than this back to it (0: off)"),
    option("clip-grad-norm", TANDEM_FIELD(clip_grad_norm),
           "scale the gradient (synchronized, all parameters) down to this norm when above it; the norm "
           "before clipping goes to the metrics and step lines (0: off)"),
    option("hang-timeout", TANDEM_FIELD(hang_timeout),
           "seconds a rank may wait in a collective before the job ends with a message naming the rank(s) that "
           "have not arrived and where they were last seen (0: wait forever)", changeable),
    option("on-nonfinite", TANDEM_FIELD(nonfinite.policy),
           "a step whose loss or synchronized gradient is nan or inf (all ranks agree, no update is made): " +
               enum_help(OnNonfinite{}), changeable),
    option("rollback-every", TANDEM_FIELD(nonfinite.rollback_every),
           "--on-nonfinite rollback: keep a copy of the good state every N steps (and at the start)", changeable),
    option("rollback-lr-factor", TANDEM_FIELD(nonfinite.rollback_lr_factor),
           "--on-nonfinite rollback: multiply the learning rate by this after each rollback", changeable),
    option("max-rollbacks", TANDEM_FIELD(nonfinite.max_rollbacks),
           "--on-nonfinite rollback: stop the run at the next non-finite step after this many rollbacks",
           changeable),
    option("max-skipped-steps", TANDEM_FIELD(nonfinite.max_skipped_steps),
           "--on-nonfinite skip: stop the run when more steps than this in a row are not finite", changeable),
    option("gns-every", TANDEM_FIELD(gns_every),
           "measure the gradient noise scale B_simple = tr(Sigma)/|G|^2 (McCandlish et al.) every N steps, "
           "from the ranks' shares (or on one rank the --accumulate micro-batches) against the global batch "
           "(0: never)", changeable),
    option("gns-ema", TANDEM_FIELD(gns_ema), "decay of the noise scale's moving averages, per measured step"),
    option("overfit-batches", TANDEM_FIELD(overfit_batches),
           "sanity check: train on the first N batches only, every epoch, without weight decay, L1, max-norm, "
           "augmentation or dropout; the training loss should go to ~0 (0: off)"),
    option("lr-schedule", TANDEM_FIELD(schedule.name), optim::schedule_registry().names(" | "), changeable),
    option("lr-step-epochs", TANDEM_FIELD(schedule.step_epochs), "step: epochs between decays", changeable),
    option("lr-gamma", TANDEM_FIELD(schedule.gamma), "step, exponential: decay factor", changeable),
    option("lr-decay", TANDEM_FIELD(schedule.decay), "inverse_time: k in eta0 / (1 + k epoch)", changeable),
    option("lr-tau", TANDEM_FIELD(schedule.tau),
           "linear, cosine, polynomial: steps to reach the final rate (0: the whole run after warmup)", changeable),
    option("lr-final-fraction", TANDEM_FIELD(schedule.final_fraction),
           "linear, cosine, polynomial: final rate / --lr", changeable),
    option("lr-power", TANDEM_FIELD(schedule.power), "polynomial: exponent", changeable),
    option("warmup-steps", TANDEM_FIELD(schedule.warmup_steps),
           "linear warmup from --lr/N to --lr over the first N steps, before any schedule", changeable),
    option("lr-scaling", TANDEM_FIELD(lr_scaling),
           "the rate for the global batch B (x --accumulate) from --lr, tuned at --base-batch B0: " +
               enum_help(optim::LrScaling{}), changeable),
    option("base-batch", TANDEM_FIELD(base_batch), "--lr-scaling: the global batch B0 --lr is meant for",
           changeable),
    option("warmup-epochs", TANDEM_FIELD(warmup_epochs),
           "gradual warmup (Goyal et al.): linear from --lr to the --lr-scaling rate over the first E epochs "
           "(fractions allowed), before any schedule; without scaling, from --lr/W as --warmup-steps",
           changeable),
    option("seed", TANDEM_FIELD(seed), "seeds initialization, shuffling, the validation split, dropout masks and augmentation"),
    option("threads", TANDEM_FIELD(threads), "OpenBLAS threads per rank; 0 divides the node's cores among the ranks on that node (found "
           "with MPI_Comm_split_type); may differ between nodes", changeable),
    option("train-limit", TANDEM_FIELD(train_limit), "use only the first N training samples (0: all)"),
    option("test-limit", TANDEM_FIELD(test_limit), "use only the first N test samples (0: all)", changeable),
    option("data-mode", TANDEM_FIELD(data_mode),
           "where each rank keeps the inputs of the training and test splits: " + enum_help(data::DataMode{}) +
               "; the results are the same",
           changeable),
    option("data-memory-mb", TANDEM_FIELD(data_memory_mb),
           "--data-mode auto: a split whose inputs take more than this many MiB is streamed", changeable),
    option("data-cache", TANDEM_FIELD(data_cache),
           "splits held in memory: " + enum_help(data::DataCache{}) + "; the results are the same", changeable),
    option("prefetch", TANDEM_FIELD(prefetch),
           "streamed training data: batches read, decoded, augmented and preprocessed ahead by a background "
           "thread (0: each when it is needed)",
           changeable),
    option("no-check-finite", TANDEM_FIELD(no_check_finite),
           "read float inputs and targets as they are, without refusing NaN or infinity (checked by default: when "
           "a split is loaded or as streamed rows are read)",
           changeable),
    option("eval-batch", TANDEM_FIELD(eval_batch), "rows per evaluation pass (0: the per-rank training batch)", changeable),
    option("drop-last", TANDEM_FIELD(drop_last), "skip the smaller last batch of each epoch"),
    option("preprocess", TANDEM_FIELD(preprocess),
           "input preprocessing fitted on the training split and saved with the model: " +
               enum_help(model::PreprocessMode{})),
    option("whiten-eps", TANDEM_FIELD(whiten_eps),
           "pca_whiten, zca_whiten: added to every covariance eigenvalue (in the data's squared units)"),
    option("class-weights", TANDEM_FIELD(class_weights),
           "weight each training sample's loss by its class: W0,W1,... (one per class) or balanced (n / (C n_c)); "
           "evaluation reports the plain loss"),
    option("hard-examples", TANDEM_FIELD(hard_examples),
           "after the first epoch, draw each class's samples with probability (1 - M)/n_c + M x (its last loss, "
           "capped) / (class total): M in [0, 1] mixes loss-proportional with uniform sampling (0: off)"),
    option("hard-cap", TANDEM_FIELD(hard_cap),
           "--hard-examples: a sample's loss counts at most this many times its class's mean loss"),
    option("curriculum", TANDEM_FIELD(curriculum.pace),
           "curriculum learning: epoch e trains on the easiest fraction f(e) of each class only (ranked by "
           "--difficulty), growing from --curriculum-start at epoch 0 to all samples at --curriculum-epochs: " +
               enum_help(data::CurriculumPace{})),
    option("curriculum-start", TANDEM_FIELD(curriculum.start),
           "--curriculum: F, the fraction of each class available in the first epoch, in (0, 1]"),
    option("curriculum-epochs", TANDEM_FIELD(curriculum.epochs),
           "--curriculum: E, the epoch (0-based) from which every sample is available"),
    option("difficulty", TANDEM_FIELD(difficulty),
           "--curriculum: HDF5 file whose /train/difficulty holds one float per training sample, lower is "
           "easier (tandem predict --per-sample-loss writes it; empty: --data's own /train/difficulty)"),
    option("augment", TANDEM_FIELD(augment),
           "training-only augmentation, a comma list: flip (horizontal), crop:P (pad P, random crop), "
           "brightness:B, contrast:C, tint:T (per channel); e.g. flip,crop:2"),
    option("val-split", TANDEM_FIELD(val_split),
           "hold out this fraction of the training split (stratified, fixed by --seed) and evaluate on it "
           "exactly after every epoch"),
    option("accumulate", TANDEM_FIELD(accumulate),
           "K micro-batches per rank before one gradient synchronization and optimizer step: the step's "
           "batch is K x --batch-size"),
    option("grad-sync", TANDEM_FIELD(grad_sync), enum_help(dist::GradSyncMode{}), changeable),
    option("bucket-mb", TANDEM_FIELD(bucket_mb), "byte cap of a gradient bucket, MiB (bucketed; the first bucket is at most 256 KiB)", changeable),
    option("grad-dtype", TANDEM_FIELD(grad_dtype), enum_help(dist::GradDtype{}), changeable),
    option("shard-optimizer", TANDEM_FIELD(shard_optimizer),
           "ZeRO stage 1: reduce-scatter the gradients, each rank updates 1/R of the parameters and holds 1/R "
           "of the optimizer state, then all-gather the parameters; the same updates as without",
           changeable),
    option("bn-sync", TANDEM_FIELD(bn_sync), enum_help(BnSync{})),
    option("precision", TANDEM_FIELD(precision), enum_help(Precision{}), changeable),
    option("resume", TANDEM_FIELD(resume), "continue the run saved in this checkpoint (OUT/ckpt-STEP.h5), or in "
           "the newest checkpoint of this run directory (OUT)",
           OnResume::kNotInherited),
    option("checkpoint-every", TANDEM_FIELD(checkpoint_every),
           "write OUT/ckpt-STEP.h5 every N steps, epochs or seconds: 500steps, 1epoch, 600s, 10min; 0: at "
           "the end only (the end always gets one)",
           changeable),
    option("keep-last", TANDEM_FIELD(keep_last), "checkpoints kept in OUT (older ones are deleted)", changeable),
    option("monitor", TANDEM_FIELD(monitor), "metric for best.h5, early stopping and plateaus: " +
           enum_choices(Metric{}) + " (auto: val_loss with --val-split, else train_loss)", changeable),
    option("min-delta", TANDEM_FIELD(min_delta), "smallest change of the monitored metric that counts", changeable),
    option("early-stop-patience", TANDEM_FIELD(early_stop_patience),
           "stop after this many epochs without improvement and restore the best weights (0: off)", changeable),
    option("plateau-patience", TANDEM_FIELD(plateau_patience),
           "multiply the learning rate by --plateau-factor after this many epochs without improvement (0: off)",
           changeable),
    option("plateau-factor", TANDEM_FIELD(plateau_factor), "learning-rate factor on a plateau", changeable),
    option("stop-after-steps", TANDEM_FIELD(stop_after_steps),
           "write a checkpoint and stop after this global step, e.g. to fit a job's time limit (0: off)",
           OnResume::kNotInherited),
    option("target", TANDEM_FIELD(target),
           "end the run at the first step where this metric reaches this value, e.g. val_accuracy=0.88 (checked "
           "at steps at most 5% apart, so the steps to the target are known within 5%)", changeable),
    option("max-steps", TANDEM_FIELD(max_steps), "end the run after this many global steps (0: --epochs only)",
           changeable),
    option("log-every-steps", TANDEM_FIELD(log_every_steps),
           "also write {epoch, step, train_loss, lr} every N steps to OUT/steps.jsonl and OUT/steps.csv "
           "(train_loss: mean over the steps since the previous line, all ranks; 0: off)", changeable),
    option("progress", TANDEM_FIELD(progress), "rank 0's live progress on stderr: " + enum_help(ProgressMode{}) +
           "; launch/mpirun.sh and launch/quickstart.sh ask for bar when their stderr is a terminal",
           OnResume::kNotInherited),
  };
  // clang-format on
}

#undef TANDEM_FIELD

std::string not_an_option(const std::string& name) {
  std::vector<std::string> names;
  for (const auto& o : train_options()) names.push_back(o.name);
  const auto guess = closest_match(name, names);
  return "unknown option --" + name + (guess.empty() ? "" : "; did you mean --" + guess + "?");
}

}  // namespace

std::string OptionDef::default_text() const {
  const TrainConfig defaults;
  return get(defaults);
}

const std::vector<OptionDef>& train_options() {
  static const std::vector<OptionDef> table = make_table();
  return table;
}

const OptionDef* find_train_option(const std::string& name) {
  for (const auto& o : train_options())
    if (o.name == name) return &o;
  return nullptr;
}

std::map<std::string, std::string> option_texts(const TrainConfig& config) {
  std::map<std::string, std::string> out;
  for (const auto& o : train_options()) out[o.name] = o.get(config);
  return out;
}

void apply_options(TrainConfig& config, const std::map<std::string, std::string>& values) {
  for (const auto& [name, text] : values) {
    const auto* o = find_train_option(name);
    TANDEM_USAGE_CHECK(o, not_an_option(name));
    o->set(config, text);
  }
}

ResolvedOptions resolve_options(const std::map<std::string, std::string>& given) {
  ResolvedOptions r;
  const auto resume = given.find("resume");
  if (resume == given.end() || resume->second.empty()) {
    apply_options(r.config, given);
    return r;
  }
  // The checkpoint's options in place of the defaults; per-invocation ones and options this
  // tandem no longer has are not inherited.
  for (const auto& [name, text] : io::read_checkpoint_meta(resume->second).config) {
    const auto* o = find_train_option(name);
    if (o && o->on_resume != OptionDef::OnResume::kNotInherited) o->set(r.config, text);
  }
  std::vector<std::string> refused;
  for (const auto& [name, text] : given) {
    const auto* o = find_train_option(name);
    TANDEM_USAGE_CHECK(o, not_an_option(name));
    const std::string stored = o->get(r.config);
    o->set(r.config, text);
    const std::string now = o->get(r.config);
    if (o->on_resume == OptionDef::OnResume::kNotInherited || now == stored) continue;
    const std::string change = "--" + name + " (checkpoint " + stored + ", now " + now + ")";
    if (o->on_resume == OptionDef::OnResume::kChangeable)
      r.changes.push_back("--" + name + ": " + stored + " -> " + now);
    else
      refused.push_back(change);
  }
  if (!refused.empty())
    throw UsageError("these options cannot change on resume:\n  " + join(refused, "\n  ") +
                     "\ndrop them to continue the run as it was, or start a new run without --resume");
  return r;
}

}  // namespace tandem::train
