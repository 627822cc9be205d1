#include <iostream>

#include "commands.hpp"
#include "options.hpp"
#include "tandem/train/options.hpp"
#include "tandem/train/trainer.hpp"

namespace tandem::cli {
namespace {

// The option table of tandem train as Boost options: every value is read as text and parsed
// by the table, which also gives the defaults shown by --help.
po::options_description train_description() {
  po::options_description desc(
      "tandem train [options]\n\nTrains a model on an HDF5 dataset under any number of MPI "
      "ranks.\n\nOptions");
  desc.add_options()("help,h", "show this help")("config", po::value<std::string>(),
                                                 "INI file with any of these options (command line wins)");
  for (const auto& o : train::train_options()) {
    const std::string fallback = o.default_text();
    if (o.is_switch) {
      desc.add_options()(o.name.c_str(), po::bool_switch(), o.help.c_str());
    } else if (fallback.empty()) {
      desc.add_options()(o.name.c_str(), po::value<std::string>(), o.help.c_str());
    } else {
      desc.add_options()(o.name.c_str(), po::value<std::string>()->default_value(fallback, fallback),
                         o.help.c_str());
    }
  }
  return desc;
}

// The options given on the command line or in the INI file (not the defaults), as text.
std::map<std::string, std::string> given_options(const po::variables_map& vm) {
  std::map<std::string, std::string> given;
  for (const auto& [name, value] : vm) {
    if (value.defaulted() || name == "config" || name == "help") continue;
    if (const auto* text = boost::any_cast<std::string>(&value.value()))
      given[name] = *text;
    else if (const auto* on = boost::any_cast<bool>(&value.value()))
      given[name] = *on ? "true" : "false";
  }
  return given;
}

}  // namespace

int train_command(const std::vector<std::string>& args, dist::Comm& comm) {
  const auto desc = train_description();
  const auto p = parse("train", desc, args, true);
  if (p.help) return print_help(desc, comm);
  const auto resolved = train::resolve_options(given_options(p.vm));
  if (comm.is_root())
    for (const auto& change : resolved.changes) std::cerr << "tandem: resume changes " << change << "\n";
  train::Trainer trainer(resolved.config, comm);
  trainer.run();
  return 0;
}

}  // namespace tandem::cli
