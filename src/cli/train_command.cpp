#include <iostream>
#include <set>

#include "commands.hpp"
#include "options.hpp"
#include "tandem/core/error.hpp"
#include "tandem/io/checkpoint.hpp"
#include "tandem/train/trainer.hpp"

namespace tandem::cli {
namespace {

// Options a resumed run may change: its length, learning rate, checkpointing and callbacks,
// where it writes, how it runs. Everything else would make it a different run.
const std::set<std::string> kChangeableOnResume = {"epochs",
                                                   "lr",
                                                   "lr-schedule",
                                                   "lr-step-epochs",
                                                   "lr-gamma",
                                                   "lr-decay",
                                                   "lr-tau",
                                                   "lr-final-fraction",
                                                   "lr-power",
                                                   "warmup-steps",
                                                   "out",
                                                   "data",
                                                   "checkpoint-every",
                                                   "keep-last",
                                                   "monitor",
                                                   "min-delta",
                                                   "early-stop-patience",
                                                   "plateau-patience",
                                                   "plateau-factor",
                                                   "stop-after-steps",
                                                   "log-every-steps",
                                                   "threads",
                                                   "eval-batch",
                                                   "test-limit",
                                                   "grad-sync",
                                                   "bucket-mb"};

std::vector<std::string> merge_resume_options(const std::map<std::string, std::string>& stored,
                                              const po::options_description& desc,
                                              const po::variables_map& vm,
                                              const std::vector<std::string>& args, dist::Comm& comm) {
  const auto now = resolved(vm);
  std::vector<std::string> merged = args, refused;
  for (const auto& [key, value] : stored) {
    // Not inherited: the model comes from the checkpoint, the rest belongs to one invocation.
    if (key == "model" || key == "resume" || key == "config" || key == "stop-after-steps" ||
        !desc.find_nothrow(key, false))
      continue;
    if (!vm.count(key)) {
      merged.push_back("--" + key + "=" + value);
    } else if (vm[key].defaulted()) {
      const bool is_switch = boost::any_cast<bool>(&vm[key].value()) != nullptr;
      if (!is_switch)
        merged.push_back("--" + key + "=" + value);
      else if (value == "true")
        merged.push_back("--" + key);
    } else if (now.at(key) != value) {
      if (kChangeableOnResume.count(key)) {
        if (comm.is_root())
          std::cerr << "tandem: resume changes --" << key << ": " << value << " -> " << now.at(key) << "\n";
      } else {
        refused.push_back("--" + key + " (checkpoint " + value + ", now " + now.at(key) + ")");
      }
    }
  }
  if (!refused.empty()) {
    std::string msg = "these options cannot change on resume:";
    for (const auto& r : refused) msg += "\n  " + r;
    throw UsageError(msg + "\ndrop them to continue the run as it was, or start a new run without --resume");
  }
  return merged;
}

}  // namespace

int train_command(const std::vector<std::string>& args, dist::Comm& comm) {
  train::TrainConfig c;
  po::options_description desc(
      "tandem train [options]\n\nTrains a model on an HDF5 dataset under any "
      "number of MPI ranks.\n\nOptions");
  // clang-format off
  desc.add_options()
    ("help,h", "show this help")
    ("config", po::value<std::string>(), "INI file with any of these options (command line wins)")
    ("data", po::value(&c.data), "HDF5 dataset (see datasets/README.md)")
    ("model", po::value(&c.model), "model-spec file (see launch/models/)")
    ("out", po::value(&c.out), "output directory for metrics.jsonl and final.h5")
    ("epochs", po::value(&c.epochs)->default_value(10), "passes over the training split")
    ("batch-size", po::value(&c.batch_size)->default_value(128), "GLOBAL batch size, split across ranks")
    ("lr", po::value(&c.lr)->default_value(0.05), "learning rate")
    ("optimizer", po::value(&c.optimizer.name)->default_value("momentum"), "sgd | momentum | nesterov | adam | adamw | adagrad | rmsprop | lbfgs (full batch)")
    ("lbfgs-history", po::value(&c.optimizer.history)->default_value(10), "lbfgs: curvature pairs kept")
    ("lbfgs-tol", po::value(&c.optimizer.tolerance)->default_value(1e-5),
     "lbfgs: stop when every gradient component is below this in magnitude")
    ("lbfgs-max-evals", po::value(&c.optimizer.max_evals)->default_value(25),
     "lbfgs: objective evaluations allowed per line search")
    ("momentum", po::value(&c.optimizer.momentum)->default_value(0.9), "momentum coefficient (momentum, nesterov)")
    ("beta1", po::value(&c.optimizer.beta1)->default_value(0.9), "Adam first-moment decay")
    ("beta2", po::value(&c.optimizer.beta2)->default_value(0.999), "Adam second-moment decay")
    ("adam-eps", po::value(&c.optimizer.eps)->default_value(1e-8), "epsilon of adam, adamw, adagrad, rmsprop")
    ("rho", po::value(&c.optimizer.rho)->default_value(0.99), "rmsprop: decay of the squared-gradient average")
    ("weight-decay", po::value(&c.optimizer.weight_decay)->default_value(0.0),
     "L2 weight decay on weights (not biases or batch-norm parameters); adamw: decoupled")
    ("l1", po::value(&c.optimizer.l1)->default_value(0.0), "L1 penalty on weights: g += l1 sign(w)")
    ("param-groups", po::value(&c.param_groups),
     "per-tensor options overriding the defaults (weights: --weight-decay, --l1; biases and batch-norm: none), "
     "'PATTERN:key=value,...;...' with PATTERN a glob over NODE.PARAM names and keys weight_decay, l1, "
     "lr_scale; e.g. 'batchnorm*:weight_decay=1e-4;dense_3.*:lr_scale=0.1'")
    ("overfit-batches", po::value(&c.overfit_batches)->default_value(0),
     "sanity check: train on the first N batches only, every epoch, without weight decay, L1, max-norm or "
     "dropout; the training loss should go to ~0 (0: off)")
    ("max-norm", po::value(&c.max_norm)->default_value(0.0),
     "after each step, scale every weight row (unit, filter) longer than this back to it (0: off)")
    ("lr-schedule", po::value(&c.schedule.name)->default_value("constant"), "constant | step | exponential | inverse_time | linear | cosine | polynomial")
    ("lr-step-epochs", po::value(&c.schedule.step_epochs)->default_value(10.0), "step: epochs between decays")
    ("lr-gamma", po::value(&c.schedule.gamma)->default_value(0.1), "step, exponential: decay factor")
    ("lr-decay", po::value(&c.schedule.decay)->default_value(0.1), "inverse_time: k in eta0 / (1 + k epoch)")
    ("lr-tau", po::value(&c.schedule.tau)->default_value(0),
     "linear, cosine, polynomial: steps to reach the final rate (0: the whole run after warmup)")
    ("lr-final-fraction", po::value(&c.schedule.final_fraction)->default_value(0.01),
     "linear, cosine, polynomial: final rate / --lr")
    ("lr-power", po::value(&c.schedule.power)->default_value(2.0), "polynomial: exponent")
    ("warmup-steps", po::value(&c.schedule.warmup_steps)->default_value(0),
     "linear warmup from --lr/N to --lr over the first N steps, before any schedule")
    ("seed", po::value(&c.seed)->default_value(0), "seed of initialization, shuffling and dropout")
    ("threads", po::value(&c.threads)->default_value(0), "BLAS threads per rank (0: the node's cores / its ranks)")
    ("train-limit", po::value(&c.train_limit)->default_value(0), "use only the first N training samples")
    ("test-limit", po::value(&c.test_limit)->default_value(0), "use only the first N test samples")
    ("eval-batch", po::value(&c.eval_batch)->default_value(0), "rows per evaluation chunk (0: per-rank batch)")
    ("drop-last", po::bool_switch(&c.drop_last), "skip the smaller last batch of each epoch")
    ("preprocess", po::value(&c.preprocess)->default_value("none"),
     "input preprocessing fitted on the training split and saved with the model: none | center | "
     "standardize (per feature) | standardize_global | standardize_channel | pca_whiten | zca_whiten")
    ("whiten-eps", po::value(&c.whiten_eps)->default_value(0.01),
     "pca_whiten, zca_whiten: added to every covariance eigenvalue (in the data's squared units)")
    ("class-weights", po::value(&c.class_weights),
     "weight each training sample's loss by its class: W0,W1,... (one per class) or balanced "
     "(n / (C n_c)); evaluation reports the plain loss")
    ("hard-examples", po::value(&c.hard_examples)->default_value(0.0),
     "after the first epoch, draw each class's samples with probability (1 - M)/n_c + M x (its last loss, "
     "capped) / (class total): M in [0, 1] mixes loss-proportional with uniform sampling (0: off)")
    ("hard-cap", po::value(&c.hard_cap)->default_value(5.0),
     "--hard-examples: a sample's loss counts at most this many times its class's mean loss")
    ("augment", po::value(&c.augment)->default_value("none"),
     "training-only augmentation, a comma list: flip (horizontal), crop:P (pad P, random crop), "
     "brightness:B, contrast:C, tint:T (per channel); e.g. flip,crop:2")
    ("val-split", po::value(&c.val_split)->default_value(0.0),
     "hold out this fraction of the training split (stratified) and evaluate on it every epoch")
    ("accumulate", po::value(&c.accumulate)->default_value(1),
     "micro-batches per rank per optimizer step (the step's batch is --batch-size x this)")
    ("grad-sync", po::value(&c.grad_sync)->default_value("auto"),
     "bucketed: allreduce buckets as backward completes them | blocking: one allreduce after backward | "
     "auto: blocking on one node, bucketed across nodes")
    ("bucket-mb", po::value(&c.bucket_mb)->default_value(0.25), "byte cap of a gradient bucket, MiB (bucketed)")
    ("bn-sync", po::value(&c.bn_sync)->default_value("global"),
     "global: batch-norm statistics over the global batch | local: over each rank's slice")
    ("resume", po::value(&c.resume), "continue the run saved in this checkpoint (OUT/ckpt-*.h5)")
    ("checkpoint-every", po::value(&c.checkpoint_every)->default_value("1epoch"),
     "checkpoint into OUT every N steps, epochs or seconds: 500steps, 1epoch, 600s, 10min, 0 (at the end only)")
    ("keep-last", po::value(&c.keep_last)->default_value(2), "checkpoints kept in OUT")
    ("monitor", po::value(&c.monitor)->default_value("auto"),
     "metric for best.h5, early stopping and plateaus: val_loss, val_accuracy, train_loss, ... "
     "(auto: val_loss with --val-split, else train_loss)")
    ("min-delta", po::value(&c.min_delta)->default_value(0.0), "smallest change of the monitored metric that counts")
    ("early-stop-patience", po::value(&c.early_stop_patience)->default_value(0),
     "stop after this many epochs without improvement and restore the best weights (0: off)")
    ("plateau-patience", po::value(&c.plateau_patience)->default_value(0),
     "multiply the learning rate by --plateau-factor after this many epochs without improvement (0: off)")
    ("plateau-factor", po::value(&c.plateau_factor)->default_value(0.1), "learning-rate factor on a plateau")
    ("stop-after-steps", po::value(&c.stop_after_steps)->default_value(0),
     "checkpoint and stop after this global step (0: off), e.g. to fit a job's time limit")
    ("log-every-steps", po::value(&c.log_every_steps)->default_value(0),
     "also append the mean training loss every N steps to OUT/steps.jsonl (0: off)");
  // clang-format on
  auto p = parse("train", desc, args, true);
  if (p.help) {
    if (comm.is_root()) std::cout << desc << "\n";
    return 0;
  }
  if (!c.resume.empty()) {
    // Options not given now come from the checkpoint; given ones may differ only if allowed.
    auto merged = merge_resume_options(io::read_checkpoint_meta(c.resume).config, desc, p.vm, args, comm);
    c = train::TrainConfig();
    p = parse("train", desc, merged, true);
  }
  c.resolved = resolved(p.vm);
  c.resolved.erase("config");
  c.resolved.erase("resume");
  train::Trainer trainer(c, comm);
  trainer.run();
  return 0;
}

}  // namespace tandem::cli
