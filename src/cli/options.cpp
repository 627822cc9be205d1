#include "options.hpp"

#include <algorithm>
#include <fstream>

#include "tandem/core/error.hpp"

namespace tandem::cli {
namespace {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string suggestion(const std::string& unknown, const po::options_description& desc) {
  std::string name = unknown;
  name.erase(0, name.find_first_not_of('-'));
  std::string best;
  size_t best_d = 4;
  for (const auto& opt : desc.options()) {
    const size_t d = edit_distance(name, opt->long_name());
    if (d < best_d) {
      best_d = d;
      best = opt->long_name();
    }
  }
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

std::map<std::string, std::string> resolved(const po::variables_map& vm) {
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : vm) {
    const auto& v = value.value();
    if (const auto* s = boost::any_cast<std::string>(&v))
      out[key] = *s;
    else if (const auto* i = boost::any_cast<int64_t>(&v))
      out[key] = std::to_string(*i);
    else if (const auto* n = boost::any_cast<int>(&v))
      out[key] = std::to_string(*n);
    else if (const auto* u = boost::any_cast<uint64_t>(&v))
      out[key] = std::to_string(*u);
    else if (const auto* d = boost::any_cast<double>(&v)) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", *d);
      out[key] = buf;
    } else if (const auto* b = boost::any_cast<bool>(&v))
      out[key] = *b ? "true" : "false";
  }
  return out;
}

}  // namespace tandem::cli
