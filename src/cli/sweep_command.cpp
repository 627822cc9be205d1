// tandem sweep: the batch-size scaling experiment (train/sweep.hpp) from the command line or a
// sweep file (--config), with every tandem train option passed on to each run, and its report.
#include <iostream>

#include "commands.hpp"
#include "options.hpp"
#include "sweep_project.hpp"
#include "sweep_report.hpp"
#include "tandem/core/error.hpp"
#include "tandem/core/strings.hpp"
#include "tandem/train/options.hpp"
#include "tandem/train/sweep.hpp"

namespace tandem::cli {
namespace {

struct SweepArgs {
  std::string batch_sizes, lrs, optimizers, out;
  int64_t max_epochs = 0;
  ProjectArgs project;
};

po::options_description sweep_description(SweepArgs& a) {
  po::options_description desc(
      "tandem sweep --model M --data D --batch-sizes 64,256,... --lrs 0.02,0.1,... [--optimizers "
      "momentum,lamb] "
      "--target val_accuracy=0.88 --max-epochs N --out DIR [train options]\n\nTrains every (optimizer, batch "
      "size, learning rate) until --target or the budget and reports the steps to the target against the "
      "batch "
      "size (DIR/sweep.jsonl, DIR/report.md and its plots). An interrupted sweep continues where it stopped. "
      "Every tandem train option applies to each run; --config FILE (a sweep file) takes any of "
      "them.\n\nOptions");
  // clang-format off
  desc.add_options()
    ("help,h", "show this help")
    ("config", po::value<std::string>(), "sweep file: INI with any of these options (command line wins)")
    ("batch-sizes", po::value(&a.batch_sizes), "global batch sizes, comma-separated")
    ("lrs", po::value(&a.lrs), "learning rates, comma-separated (--lr-scaling applies on top), "
                                           "or per optimizer: 'momentum:0.03,0.1;lamb:0.003,0.01'")
    ("optimizers", po::value(&a.optimizers)->default_value("momentum"), "optimizers, comma-separated")
    ("max-epochs", po::value(&a.max_epochs)->default_value(0), "budget of each run in epochs (0: --epochs)")
    ("project", po::value(&a.project.nodes), "instead of the grid: project weak scaling to these node counts "
                                             "(e.g. 1,4,16,64,256,1024) at --batch-size samples per node, from a "
                                             "step timed here and the allreduce figures below (a model)")
    ("allreduce", po::value(&a.project.allreduce), "--project: bench_allreduce output to fit latency and "
                                                   "bandwidth to (default: measured by this job)")
    ("alpha-us", po::value(&a.project.alpha_us)->default_value(0), "--project: a site's message latency, us")
    ("bandwidth-gbs", po::value(&a.project.bandwidth_gbs)->default_value(0), "--project: a site's link bandwidth, GB/s")
    ("project-steps", po::value(&a.project.steps)->default_value(30), "--project: training steps timed");
  // clang-format on
  add_train_options(desc);
  return desc;
}

template <class T>
std::vector<T> parse_list(const std::string& text, const std::string& option) {
  std::vector<T> out;
  for (const auto& item : split(text, ", ")) {
    if constexpr (std::is_same_v<T, std::string>)
      out.push_back(item);
    else if constexpr (std::is_same_v<T, double>)
      out.push_back(parse_double(item, "--" + option));
    else
      out.push_back(parse_int(item, "--" + option));
  }
  TANDEM_USAGE_CHECK(!out.empty(), "--", option, " lists nothing; give e.g. --", option, " ",
                     std::is_same_v<T, std::string> ? "momentum,lamb" : "64,256");
  return out;
}

}  // namespace

int sweep_command(const std::vector<std::string>& args, dist::Comm& comm) {
  SweepArgs a;
  const auto desc = sweep_description(a);
  const auto p = parse("sweep", desc, args, true);
  if (p.help) return print_help(desc, comm);
  auto given = given_train_options(p.vm);
  if (!a.project.nodes.empty())
    return project_scaling(train::resolve_options(given).config, a.project,
                           given.count("out") ? given["out"] : "", comm);
  TANDEM_USAGE_CHECK(!a.batch_sizes.empty() && !a.lrs.empty(),
                     "tandem sweep needs --batch-sizes and --lrs (or --project NODES for a planning table)");
  for (const char* taken : {"batch-size", "lr", "optimizer", "resume"})
    TANDEM_USAGE_CHECK(!given.count(taken), "--", taken,
                       " is set by the sweep for each run; give --batch-sizes, "
                       "--lrs and --optimizers instead (and no --resume: a sweep resumes its runs itself)");
  TANDEM_USAGE_CHECK(given.count("out"),
                     "tandem sweep needs --out DIR for sweep.jsonl, the runs and the report");
  const std::string out = given["out"];
  if (a.max_epochs > 0) given["epochs"] = std::to_string(a.max_epochs);
  const auto base = train::resolve_options(given).config;
  train::SweepGrid grid;
  grid.optimizers = parse_list<std::string>(a.optimizers, "optimizers");
  grid.batch_sizes = parse_list<int64_t>(a.batch_sizes, "batch-sizes");
  grid.lrs = train::parse_sweep_lrs(a.lrs);
  const auto records = train::run_sweep(base, grid, out, comm);
  if (comm.is_root()) {
    write_sweep_report(out, records, base);
    std::cout << "sweep: " << records.size() << " run(s); report " << out << "/report.md\n";
  }
  return 0;
}

}  // namespace tandem::cli
