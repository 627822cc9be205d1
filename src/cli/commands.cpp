// Every sub-command: one line each. To add one, write NAME_command.cpp in this directory,
// declare it in commands.hpp and add its line here (README "Extending tandem").
#include "commands.hpp"

namespace tandem::cli {

const Registry<CommandInfo>& command_registry() {
  // A table: one registration per entry, formatted by hand.
  // clang-format off
  static const Registry<CommandInfo> registry("command", "commands", {
      {"train", {}, "train a model (under mpirun: data-parallel over the ranks)", train_command},
      {"eval", {}, "evaluate saved models (or their ensemble) on a dataset split", eval_command},
      {"predict", {}, "write class probabilities and predicted labels to HDF5", predict_command},
      {"inspect", {}, "print a model file or checkpoint: model, training state, history", inspect_command},
      {"plot", {}, "draw learning curves from metrics.jsonl (gnuplot)", plot_command},
      {"gradcheck", {}, "compare backprop with finite differences on a real model and data", gradcheck_command},
      {"hessian", {}, "top Hessian eigenvalues of the loss of a saved model (Lanczos)", hessian_command},
      {"convert", {}, "convert IDX, CSV or NumPy files to the tandem HDF5 dataset layout; make the image-pairs example or a synthetic many-class dataset",
       convert_command},
      {"sweep", {}, "train a grid of batch sizes, rates and optimizers to a target; report the scaling curve",
       sweep_command},
      {"list", {}, "list the ops, losses, optimizers, schedules, initializers or train options", list_command},
  });
  // clang-format on
  return registry;
}

}  // namespace tandem::cli
