// The report of tandem sweep: OUT/report.md with the tables of the runs and three PNG plots
// (gnuplot): steps to the target against batch size with the perfect-scaling line, the best
// learning rate against batch size, and the gradient noise scale during the best runs.
#include "sweep_report.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "gnuplot.hpp"
#include "tandem/core/strings.hpp"
#include "tandem/train/metrics_file.hpp"
#include "tandem/train/target.hpp"

namespace tandem::cli {
namespace {

using train::SweepRecord;

std::string cell(double v, const char* format) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string row(const SweepRecord& r) {
  return "| " + r.optimizer + " | " + std::to_string(r.batch) + " | " + format_number(r.lr) + " | " +
         format_number(r.scaled_lr) + " | " +
         (r.reached    ? "yes"
          : r.diverged ? "diverged"
                       : "no") +
         " | " + std::to_string(r.steps) + " | " + cell(r.epochs, "%.2f") + " | " +
         std::to_string(r.samples) + " | " + cell(r.seconds, "%.1f") + " | " + cell(r.samples_per_s, "%.0f") +
         " | " + (r.gns != 0 ? cell(r.gns, "%.0f") : std::string("")) + " |\n";
}

const char* kHeader =
    "| optimizer | batch | lr | scaled lr | reached | steps | epochs | samples | seconds | samples/s | "
    "B_simple |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|\n";

std::vector<SweepRecord> of_optimizer(const std::vector<SweepRecord>& records, const std::string& optimizer) {
  std::vector<SweepRecord> out;
  for (const auto& r : records)
    if (r.optimizer == optimizer) out.push_back(r);
  return out;
}

// The fit of the steps-to-target curve per optimizer next to the noise scale the best runs
// measured when they reached the target.
void write_critical_batch(std::ostream& md, const std::vector<SweepRecord>& best) {
  md << "\n## The critical batch\n\nThe fit of S = S_min + E_min/B to the best runs (McCandlish et al. "
        "2018, eq. 2.11; relative error) gives B_crit = E_min/S_min, which the gradient noise scale B_simple "
        "predicts.\n\n| optimizer | batch sizes | S_min (steps) | E_min (samples) | B_crit | B_simple at the "
        "target (median of the best runs) |\n|---|---|---|---|---|---|\n";
  std::map<std::string, std::vector<SweepRecord>> by_optimizer;
  for (const auto& r : best) by_optimizer[r.optimizer].push_back(r);
  for (const auto& [optimizer, runs] : by_optimizer) {
    std::vector<double> noise;
    for (const auto& r : runs)
      if (r.gns > 0) noise.push_back(r.gns);
    std::sort(noise.begin(), noise.end());
    const auto fit = train::fit_critical_batch(runs);
    md << "| " << optimizer << " | " << runs.size() << " | "
       << (fit ? cell(fit->s_min, "%.0f") + " | " + cell(fit->e_min, "%.0f") + " | " +
                     cell(fit->b_crit(), "%.0f")
               : std::string("no fit | | "))
       << " | " << (noise.empty() ? std::string() : cell(noise[noise.size() / 2], "%.0f")) << " |\n";
  }
}

// One data file per optimizer: batch, steps, scaled rate of its best runs.
std::map<std::string, std::string> write_best(const std::vector<SweepRecord>& best,
                                              const std::filesystem::path& tmp) {
  std::map<std::string, std::string> files;
  for (const auto& r : best) {
    auto& file = files[r.optimizer];
    if (file.empty()) file = (tmp / ("best-" + r.optimizer + ".dat")).string();
    std::ofstream(file, std::ios::app) << r.batch << ' ' << r.steps << ' ' << r.scaled_lr << '\n';
  }
  return files;
}

// The noise scale of each best run against its training loss per epoch, from its
// metrics.jsonl (one file per run): B_simple grows as the loss falls (McCandlish et al.).
std::vector<std::pair<std::string, std::string>> write_noise(const std::vector<SweepRecord>& best,
                                                             const std::filesystem::path& tmp) {
  std::vector<std::pair<std::string, std::string>> series;
  for (const auto& r : best) {
    std::ifstream in(r.dir + "/metrics.jsonl");
    const auto file = (tmp / ("gns-" + r.key() + ".dat")).string();
    std::ofstream out(file);
    int64_t points = 0;
    for (std::string line; std::getline(in, line);) {
      const auto v = train::parse_metrics_line(line);
      if (v.count("gns") && v.count("train_loss") && v.at("gns") > 0)
        out << v.at("train_loss") << ' ' << v.at("gns") << '\n', ++points;
    }
    if (points > 0) series.emplace_back(r.optimizer + " batch " + std::to_string(r.batch), file);
  }
  return series;
}

void plot(const std::filesystem::path& tmp, const std::string& out, const std::vector<SweepRecord>& best) {
  const auto best_files = write_best(best, tmp);
  const auto noise = write_noise(best, tmp);
  const auto script = (tmp / "report.gp").string();
  std::ofstream gp(script);
  gp << "set terminal png size 900,650 font ',11'\nset grid\nset key top right\nset logscale xy\n"
     << "set xlabel 'global batch size'\n";
  gp << "set output " << quoted(out + "/steps_to_target.png") << "\nset ylabel 'steps to the target'\nplot ";
  // Perfect scaling through the smallest batch's best: steps halve as the batch doubles.
  const auto& first = best.front();
  gp << first.steps * first.batch << "/x with lines dashtype 2 title 'perfect scaling'";
  for (const auto& [optimizer, file] : best_files) {
    gp << ", " << quoted(file) << " using 1:2 with linespoints title " << quoted(optimizer);
    if (const auto fit = train::fit_critical_batch(of_optimizer(best, optimizer)))
      gp << ", " << fit->s_min << " + " << fit->e_min << "/x with lines dashtype 3 title "
         << quoted(optimizer + ": S_{min} + E_{min}/B");
  }
  gp << "\nset output " << quoted(out + "/best_lr.png")
     << "\nset ylabel 'best learning rate as trained (after the scaling rule)'\nplot ";
  bool comma = false;
  for (const auto& [optimizer, file] : best_files)
    gp << (comma ? ", " : "") << quoted(file) << " using 1:3 with linespoints title " << quoted(optimizer),
        comma = true;
  gp << "\n";
  if (!noise.empty()) {
    gp << "set output " << quoted(out + "/noise_scale.png")
       << "\nset xrange [*:*] reverse\nset autoscale xfix\n"
       << "set xlabel 'training loss (mean of an epoch; falling to the right)'\n"
       << "set ylabel 'gradient noise scale B_{simple}'\nset key outside right\nplot ";
    comma = false;
    for (const auto& [title, file] : noise)
      gp << (comma ? ", " : "") << quoted(file) << " using 1:2 with linespoints title " << quoted(title),
          comma = true;
    gp << "\n";
  }
  gp.close();
  run_gnuplot(tmp, script, out + "/*.png");
}

}  // namespace

void write_sweep_report(const std::string& out, const std::vector<SweepRecord>& records,
                        const train::TrainConfig& base) {
  const auto best = train::best_per_batch(records);
  std::ofstream md(out + "/report.md");
  md << "# tandem sweep\n\nTarget " << (base.target.active() ? train::format_target(base.target) : "none")
     << " within " << base.epochs << " epoch(s)"
     << (base.max_steps > 0 ? " or " + std::to_string(base.max_steps) + " steps" : "") << "; model "
     << base.model << ", data " << base.data << ". Lines: `sweep.jsonl`; each run in `runs/`.\n\n"
     << "## Steps to the target, the best learning rate of each batch size\n\n"
     << kHeader;
  for (const auto& r : best) md << row(r);
  if (best.empty()) md << "\nNo run reached the target.\n";
  if (!best.empty()) write_critical_batch(md, best);
  md << "\n## All runs\n\n" << kHeader;
  for (const auto& r : records) md << row(r);
  if (best.empty()) return;
  md << "\n![steps to the target](steps_to_target.png)\n\n![best learning rate](best_lr.png)\n\n"
     << "![gradient noise scale](noise_scale.png)\n";
  md.close();
  const auto tmp = std::filesystem::temp_directory_path() / ("tandem_sweep_" + std::to_string(::getpid()));
  std::filesystem::create_directories(tmp);
  plot(tmp, out, best);
}

}  // namespace tandem::cli
