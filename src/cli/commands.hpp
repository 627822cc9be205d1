#pragma once
// The sub-commands. Each returns the process exit code and throws tandem::Error or
// tandem::UsageError on failure.
#include <string>
#include <vector>

#include "tandem/dist/comm.hpp"

namespace tandem::cli {

int train_command(const std::vector<std::string>& args, dist::Comm& comm);
int eval_command(const std::vector<std::string>& args, dist::Comm& comm);
int convert_command(const std::vector<std::string>& args, dist::Comm& comm);
int predict_command(const std::vector<std::string>& args, dist::Comm& comm);
int inspect_command(const std::vector<std::string>& args, dist::Comm& comm);
int gradcheck_command(const std::vector<std::string>& args, dist::Comm& comm);
int hessian_command(const std::vector<std::string>& args, dist::Comm& comm);
int plot_command(const std::vector<std::string>& args, dist::Comm& comm);

}  // namespace tandem::cli
