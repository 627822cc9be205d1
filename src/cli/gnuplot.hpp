#pragma once
// Drawing with gnuplot (tandem plot, the tandem sweep report): scripts are written to a
// temporary directory and run; a missing or failing gnuplot is an Error that says so.
#include <filesystem>
#include <string>

namespace tandem::cli {

// gnuplot quoting: single quotes, with a quote doubled.
std::string quoted(const std::string& s);

// Runs gnuplot on `script`, removes `tmp` (its directory), then reports a missing or failing
// gnuplot (with its error output), naming `out`.
void run_gnuplot(const std::filesystem::path& tmp, const std::string& script, const std::string& out);

}  // namespace tandem::cli
