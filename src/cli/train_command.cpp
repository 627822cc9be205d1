#include <iostream>

#include "commands.hpp"
#include "options.hpp"
#include "tandem/core/error.hpp"
#include "tandem/train/trainer.hpp"

namespace tandem::cli {

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
    ("optimizer", po::value(&c.optimizer.name)->default_value("momentum"), "sgd | momentum | nesterov | adam")
    ("momentum", po::value(&c.optimizer.momentum)->default_value(0.9), "momentum coefficient (momentum, nesterov)")
    ("beta1", po::value(&c.optimizer.beta1)->default_value(0.9), "Adam first-moment decay")
    ("beta2", po::value(&c.optimizer.beta2)->default_value(0.999), "Adam second-moment decay")
    ("adam-eps", po::value(&c.optimizer.eps)->default_value(1e-8), "Adam epsilon")
    ("weight-decay", po::value(&c.optimizer.weight_decay)->default_value(0.0),
     "L2 weight decay on weights (not biases or batch-norm parameters)")
    ("lr-schedule", po::value(&c.schedule.name)->default_value("constant"), "constant | step")
    ("lr-step-epochs", po::value(&c.schedule.step_epochs)->default_value(10.0), "step: epochs between decays")
    ("lr-gamma", po::value(&c.schedule.gamma)->default_value(0.1), "step: decay factor")
    ("seed", po::value(&c.seed)->default_value(0), "seed of initialization, shuffling and dropout")
    ("threads", po::value(&c.threads)->default_value(0), "BLAS threads per rank (0: the node's cores / its ranks)")
    ("train-limit", po::value(&c.train_limit)->default_value(0), "use only the first N training samples")
    ("test-limit", po::value(&c.test_limit)->default_value(0), "use only the first N test samples")
    ("eval-batch", po::value(&c.eval_batch)->default_value(0), "rows per evaluation chunk (0: per-rank batch)")
    ("drop-last", po::bool_switch(&c.drop_last), "skip the smaller last batch of each epoch")
    ("val-split", po::value(&c.val_split)->default_value(0.0),
     "hold out this fraction of the training split (stratified) and evaluate on it every epoch")
    ("accumulate", po::value(&c.accumulate)->default_value(1),
     "micro-batches per rank per optimizer step (the step's batch is --batch-size x this)")
    ("grad-sync", po::value(&c.grad_sync)->default_value("auto"),
     "bucketed: allreduce buckets as backward completes them | blocking: one allreduce after backward | "
     "auto: blocking on one node, bucketed across nodes")
    ("bucket-mb", po::value(&c.bucket_mb)->default_value(0.25), "byte cap of a gradient bucket, MiB (bucketed)")
    ("bn-sync", po::value(&c.bn_sync)->default_value("global"),
     "global: batch-norm statistics over the global batch | local: over each rank's slice");
  // clang-format on
  auto p = parse("train", desc, args, true);
  if (p.help) {
    if (comm.is_root()) std::cout << desc << "\n";
    return 0;
  }
  c.resolved = resolved(p.vm);
  c.resolved.erase("config");
  train::Trainer trainer(c, comm);
  trainer.run();
  return 0;
}

}  // namespace tandem::cli
