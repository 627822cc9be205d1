#include <iostream>

#include "commands.hpp"
#include "options.hpp"
#include "tandem/train/options.hpp"
#include "tandem/train/trainer.hpp"

namespace tandem::cli {
namespace {

po::options_description train_description() {
  po::options_description desc(
      "tandem train [options]\n\nTrains a model on an HDF5 dataset under any number of MPI "
      "ranks.\n\nOptions");
  desc.add_options()("help,h", "show this help")("config", po::value<std::string>(),
                                                 "INI file with any of these options (command line wins)");
  add_train_options(desc);
  return desc;
}

}  // namespace

int train_command(const std::vector<std::string>& args, dist::Comm& comm) {
  const auto desc = train_description();
  const auto p = parse("train", desc, args, true);
  if (p.help) return print_help(desc, comm);
  const auto resolved = train::resolve_options(given_train_options(p.vm));
  if (comm.is_root())
    for (const auto& change : resolved.changes) std::cerr << "tandem: resume changes " << change << "\n";
  train::Trainer trainer(resolved.config, comm);
  trainer.run();
  return 0;
}

}  // namespace tandem::cli
