#pragma once
// The sub-commands of `tandem`, one registration line each in commands.cpp. Each returns the
// process exit code and throws tandem::Error or tandem::UsageError on failure.
#include <string>
#include <vector>

#include "tandem/core/registry.hpp"
#include "tandem/dist/comm.hpp"

namespace tandem::cli {

using CommandFn = int (*)(const std::vector<std::string>& args, dist::Comm& comm);

struct CommandInfo {
  std::string name;
  std::vector<std::string> aliases;
  std::string summary;  // one line, for `tandem --help`
  CommandFn run = nullptr;
};

const Registry<CommandInfo>& command_registry();

int train_command(const std::vector<std::string>& args, dist::Comm& comm);
int eval_command(const std::vector<std::string>& args, dist::Comm& comm);
int convert_command(const std::vector<std::string>& args, dist::Comm& comm);
int predict_command(const std::vector<std::string>& args, dist::Comm& comm);
int inspect_command(const std::vector<std::string>& args, dist::Comm& comm);
int gradcheck_command(const std::vector<std::string>& args, dist::Comm& comm);
int hessian_command(const std::vector<std::string>& args, dist::Comm& comm);
int plot_command(const std::vector<std::string>& args, dist::Comm& comm);
int sweep_command(const std::vector<std::string>& args, dist::Comm& comm);
int list_command(const std::vector<std::string>& args, dist::Comm& comm);

}  // namespace tandem::cli
