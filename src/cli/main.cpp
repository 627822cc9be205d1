// tandem: distributed data-parallel neural-network trainer.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "tandem/core/error.hpp"
#include "tandem/core/float_mode.hpp"
#include "tandem/core/log.hpp"

namespace {

std::string usage() {
  std::string text = "usage: tandem COMMAND [options]\n\ncommands:\n";
  for (const auto& c : tandem::cli::command_registry().entries()) {
    std::string name = c.name;
    name.resize(10, ' ');
    text += "  " + name + c.summary + "\n";
  }
  return text + "\n  tandem COMMAND --help    options of a command\n  tandem --version\n";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tandem;
  // Before MPI and the math libraries start threads, so that theirs inherit it.
  core::flush_subnormals_to_zero();
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << usage();
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version") {
    std::cout << "tandem " << TANDEM_VERSION << "\n";
    return 0;
  }
  dist::MpiSession mpi(&argc, &argv);
  auto comm = dist::make_world_comm();
  log::set_rank(comm->rank());
  const auto* command = cli::command_registry().find(args[0]);
  if (!command) {
    if (comm->is_root()) std::cerr << "tandem: error: unknown command '" << args[0] << "'\n\n" << usage();
    return 2;
  }
  args.erase(args.begin());
  try {
    return command->run(args, *comm);
  } catch (const UsageError& e) {
    log::error(e.what());
    dist::MpiSession::abort(2);
  } catch (const std::exception& e) {
    log::error(e.what());
    dist::MpiSession::abort(1);
  }
}
