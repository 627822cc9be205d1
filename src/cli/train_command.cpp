#include <filesystem>
#include <functional>
#include <iostream>

#include "commands.hpp"
#include "options.hpp"
#include "tandem/core/error.hpp"
#include "tandem/train/options.hpp"
#include "tandem/train/run_directory.hpp"
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

// --resume DIR continues the newest checkpoint of the run directory DIR. Every rank looks, and
// all must agree (else they would restore different steps); a rank that fails, or sees a file
// where others see a directory, still joins the comparison, so no rank is left waiting.
void resolve_resume_directory(std::map<std::string, std::string>& given, dist::Comm& comm) {
  const auto it = given.find("resume");
  if (it == given.end() || it->second.empty()) return;
  std::string chosen = it->second, error;
  try {
    if (std::filesystem::is_directory(chosen)) chosen = train::newest_checkpoint(chosen);
  } catch (const std::exception& e) {
    error = e.what();
  }
  const uint64_t mine = error.empty() ? std::hash<std::string>{}(chosen) | 1 : 0;
  const auto all = comm.allgather(mine);
  TANDEM_USAGE_CHECK(error.empty(), error);
  for (size_t r = 0; r < all.size(); ++r)
    TANDEM_USAGE_CHECK(all[r] == mine, "--resume '", it->second, "': rank ", r, " does not resume from ",
                       chosen, " as rank ", comm.rank(), " does; give every rank the same checkpoint file");
  if (comm.is_root() && chosen != it->second) std::cerr << "tandem: resuming from " << chosen << "\n";
  it->second = chosen;
}

}  // namespace

int train_command(const std::vector<std::string>& args, dist::Comm& comm) {
  const auto desc = train_description();
  const auto p = parse("train", desc, args, true);
  if (p.help) return print_help(desc, comm);
  auto given = given_train_options(p.vm);
  resolve_resume_directory(given, comm);
  const auto resolved = train::resolve_options(given);
  if (comm.is_root())
    for (const auto& change : resolved.changes) std::cerr << "tandem: resume changes " << change << "\n";
  train::Trainer trainer(resolved.config, comm);
  trainer.run();
  return 0;
}

}  // namespace tandem::cli
