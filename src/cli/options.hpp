#pragma once
// Shared option handling for the sub-commands: command line first, then an INI file given
// with --config (the command line wins), unknown options refused with a suggestion.
#include <boost/program_options.hpp>
#include <map>
#include <string>
#include <vector>

#include "tandem/dist/comm.hpp"

namespace tandem::cli {

namespace po = boost::program_options;

struct Parsed {
  po::variables_map vm;
  bool help = false;
};

// Parses args (without the program and command names), with optional positional arguments.
// Throws UsageError on bad input.
Parsed parse(const std::string& command, const po::options_description& desc,
             const std::vector<std::string>& args, bool allow_config,
             const po::positional_options_description* positional = nullptr);

// The options of `tandem train` (train/options.hpp) as Boost options: every value is read as
// text and parsed by that table, which also gives the defaults --help shows.
void add_train_options(po::options_description& desc);
// The train options given on the command line or in the INI file (not defaults), as text.
std::map<std::string, std::string> given_train_options(const po::variables_map& vm);

// --help: rank 0 prints the options; returns the exit code 0.
int print_help(const po::options_description& desc, const dist::Comm& comm);

// A floating-point option whose --help shows its default as a person writes it ("0.05", not
// "0.050000000000000003").
po::typed_value<double>* number(double* target, double fallback);

}  // namespace tandem::cli
