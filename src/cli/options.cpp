#include "options.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iostream>
#include <sstream>

#include "tandem/core/error.hpp"
#include "tandem/core/strings.hpp"
#include "tandem/train/options.hpp"

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

// Boost.Program_options (1.74) fills its messages by replacing "%canonical_option%",
// "%value%", "%invalid_line%", ... for as long as one is found: an option name or a line that
// holds such a token made what() loop forever (found by tests/fuzz/ini_fuzz). Refused first.
void check_no_placeholder(const std::string& text, const std::string& where) {
  for (size_t at = text.find('%'); at != std::string::npos; at = text.find('%', at + 1)) {
    size_t end = at + 1;
    while (end < text.size() && (std::islower(static_cast<unsigned char>(text[end])) || text[end] == '_'))
      ++end;
    TANDEM_USAGE_CHECK(
        end == at + 1 || end >= text.size() || text[end] != '%', where, " holds '",
        text.substr(at, end + 1 - at),
        "', which the option parser cannot report on; remove it or write it without the % signs");
  }
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
    for (const auto& arg : args) check_no_placeholder(arg, "argument '" + arg + "'");
    po::command_line_parser parser(args);
    parser.options(desc).style(style);
    if (positional) parser.positional(*positional);
    po::store(parser.run(), p.vm);
    p.help = p.vm.count("help") > 0;
    if (allow_config && p.vm.count("config") && !p.help) {
      const auto path = p.vm["config"].as<std::string>();
      std::ifstream f(path);
      TANDEM_USAGE_CHECK(f.good(), "cannot open config file '", path, "' (--config)");
      std::stringstream text;
      text << f.rdbuf();
      check_no_placeholder(text.str(), "config file '" + path + "'");
      // Stored after the command line, so command-line values win.
      po::store(po::parse_config_file(text, desc, false), p.vm);
    }
    if (!p.help) po::notify(p.vm);
  } catch (const po::unknown_option& e) {
    throw UsageError(std::string(e.what()) + suggestion(e.get_option_name(), desc) + " (" + hint + ")");
  } catch (const po::error& e) {
    throw UsageError(std::string(e.what()) + " (" + hint + ")");
  }
  return p;
}

void add_train_options(po::options_description& desc) {
  for (const auto& o : train::train_options()) {
    const std::string fallback = o.default_text();
    if (o.is_switch)  // --NAME alone is true; --NAME=false turns off what a resumed run inherited
      desc.add_options()(o.name.c_str(), po::value<std::string>()->implicit_value("true"), o.help.c_str());
    else if (fallback.empty())
      desc.add_options()(o.name.c_str(), po::value<std::string>(), o.help.c_str());
    else
      desc.add_options()(o.name.c_str(), po::value<std::string>()->default_value(fallback, fallback),
                         o.help.c_str());
  }
}

std::map<std::string, std::string> given_train_options(const po::variables_map& vm) {
  std::map<std::string, std::string> given;
  for (const auto& [name, value] : vm) {
    if (value.defaulted() || !train::find_train_option(name)) continue;
    if (const auto* text = boost::any_cast<std::string>(&value.value()))
      given[name] = *text;
    else if (const auto* on = boost::any_cast<bool>(&value.value()))
      given[name] = *on ? "true" : "false";
  }
  return given;
}

int print_help(const po::options_description& desc, const dist::Comm& comm) {
  if (comm.is_root()) std::cout << desc << "\n";
  return 0;
}

po::typed_value<double>* number(double* target, double fallback) {
  return po::value(target)->default_value(fallback, format_number(fallback));
}

}  // namespace tandem::cli
