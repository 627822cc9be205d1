// tandem: distributed data-parallel neural-network trainer.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "tandem/core/error.hpp"
#include "tandem/core/log.hpp"

namespace {

constexpr const char* kUsage =
    "usage: tandem COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  train     train a model (under mpirun: data-parallel over the ranks)\n"
    "  eval      evaluate saved models (or their ensemble) on a dataset split\n"
    "  predict   write class probabilities and predicted labels to HDF5\n"
    "  inspect   print a model file or checkpoint: model, training state, history\n"
    "  plot      draw learning curves from metrics.jsonl (gnuplot)\n"
    "  gradcheck compare backprop with finite differences on a real model and data\n"
    "  hessian   top Hessian eigenvalues of the loss of a saved model (Lanczos)\n"
    "  convert   convert IDX files to the tandem HDF5 dataset layout; make the image-pairs example\n"
    "\n"
    "  tandem COMMAND --help    options of a command\n"
    "  tandem --version\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace tandem;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version") {
    std::cout << "tandem " << TANDEM_VERSION << "\n";
    return 0;
  }
  dist::MpiSession mpi(&argc, &argv);
  auto comm = dist::make_world_comm();
  log::set_rank(comm->rank());
  const std::string command = args[0];
  args.erase(args.begin());
  try {
    if (command == "train") return cli::train_command(args, *comm);
    if (command == "eval") return cli::eval_command(args, *comm);
    if (command == "convert") return cli::convert_command(args, *comm);
    if (command == "predict") return cli::predict_command(args, *comm);
    if (command == "inspect") return cli::inspect_command(args, *comm);
    if (command == "plot") return cli::plot_command(args, *comm);
    if (command == "gradcheck") return cli::gradcheck_command(args, *comm);
    if (command == "hessian") return cli::hessian_command(args, *comm);
    if (comm->is_root()) std::cerr << "tandem: error: unknown command '" << command << "'\n\n" << kUsage;
    return 2;
  } catch (const UsageError& e) {
    log::error(e.what());
    dist::MpiSession::abort(2);
  } catch (const std::exception& e) {
    log::error(e.what());
    dist::MpiSession::abort(1);
  }
}
