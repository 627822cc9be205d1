#include "options.hpp"

#include <algorithm>
#include <fstream>
#include <iostream>

#include "tandem/core/error.hpp"
#include "tandem/core/strings.hpp"

namespace tandem::cli {
namespace {

std::string suggestion(const std::string& unknown, const po::options_description& desc) {
  std::string name = unknown;
  name.erase(0, name.find_first_not_of('-'));
  std::vector<std::string> names;
  for (const auto& opt : desc.options()) names.push_back(opt->long_name());
  const auto best = closest_match(name, names);
  return best.empty() ? "" : "; did you mean --" + best + "?";
}

}  // namespace

Parsed parse(const std::string& command, const po::options_description& desc,
             const std::vector<std::string>& args, bool allow_config,
             const po::positional_options_description* positional) {
  Parsed p;
  const std::string hint = "see 'tandem " + command + " --help'";
  try {
    // No prefix guessing: --epoch must not silently mean --epochs.
    const int style = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
    po::command_line_parser parser(args);
    parser.options(desc).style(style);
    if (positional) parser.positional(*positional);
    po::store(parser.run(), p.vm);
    p.help = p.vm.count("help") > 0;
    if (allow_config && p.vm.count("config") && !p.help) {
      const auto path = p.vm["config"].as<std::string>();
      std::ifstream f(path);
      TANDEM_USAGE_CHECK(f.good(), "cannot open config file '", path, "' (--config)");
      // Stored after the command line, so command-line values win.
      po::store(po::parse_config_file(f, desc, false), p.vm);
    }
    if (!p.help) po::notify(p.vm);
  } catch (const po::unknown_option& e) {
    throw UsageError(std::string(e.what()) + suggestion(e.get_option_name(), desc) + " (" + hint + ")");
  } catch (const po::error& e) {
    throw UsageError(std::string(e.what()) + " (" + hint + ")");
  }
  return p;
}

int print_help(const po::options_description& desc, const dist::Comm& comm) {
  if (comm.is_root()) std::cout << desc << "\n";
  return 0;
}

po::typed_value<double>* number(double* target, double fallback) {
  return po::value(target)->default_value(fallback, format_number(fallback));
}

}  // namespace tandem::cli
