#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "commands.hpp"
#include "gnuplot.hpp"
#include "options.hpp"
#include "tandem/core/error.hpp"
#include "tandem/train/metrics_file.hpp"

namespace tandem::cli {
namespace {

// The values of tandem plot's options.
struct PlotArgs {
  std::string metrics, out, title;
};

// The option table, bound to the fields of `a` (which must outlive it).
po::options_description plot_description(PlotArgs& a) {
  po::options_description desc(
      "tandem plot [options]\n\nRenders learning curves from metrics.jsonl with gnuplot: train / validation "
      "/ "
      "test loss and accuracy and the learning rate against epoch, into one PNG.\n\nOptions");
  // clang-format off
  desc.add_options()
    ("help,h", "show this help")
    ("metrics", po::value(&a.metrics)->required(), "metrics.jsonl written by tandem train --out DIR")
    ("out", po::value(&a.out)->required(), "PNG file to write")
    ("title", po::value(&a.title)->default_value(""), "title (default: the metrics file's directory)");
  // clang-format on
  return desc;
}

// What the data file holds: one row per epoch, and whether any epoch has a validation loss.
struct DataTable {
  int64_t rows = 0;
  bool has_val = false;
  bool has_gns = false;  // the gradient noise scale was measured (--gns-every)
};

// The epoch lines of metrics.jsonl as gnuplot columns (epoch, losses, accuracies, lr; NaN
// where missing) into `dat`.
DataTable write_data(std::istream& in, const std::string& dat) {
  std::ofstream d(dat);
  const char* cols[] = {"epoch",        "train_loss",    "val_loss", "test_loss", "train_accuracy",
                        "val_accuracy", "test_accuracy", "lr",       "gns",       "grad_norm"};
  DataTable t;
  for (std::string line; std::getline(in, line);) {
    if (line.find('{') == std::string::npos) continue;
    const auto v = train::parse_metrics_line(line);
    for (const char* c : cols) {
      const auto it = v.find(c);
      d << (it == v.end() || !std::isfinite(it->second) ? std::string("NaN") : std::to_string(it->second))
        << ' ';
    }
    d << '\n';
    t.has_val = t.has_val || v.count("val_loss");
    t.has_gns = t.has_gns || v.count("gns");
    ++t.rows;
  }
  d.close();
  return t;
}

// The gnuplot script: loss, accuracy and learning rate panels of one PNG.
void write_script(const std::string& script, const std::string& dat, const PlotArgs& a, const DataTable& t) {
  const bool has_val = t.has_val;
  std::ofstream gp(script);
  gp << "set terminal png size 1400,1000 font ',11'\n"
     << "set output " << quoted(a.out) << "\n"
     << "set datafile missing 'NaN'\nset key top right\nset grid\nset xlabel 'epoch'\n"
     << "set multiplot layout 2,2 title " << quoted(a.title) << "\n"
     << "set title 'loss'\nplot " << quoted(dat) << " using 1:2 with linespoints title 'train'"
     << (has_val ? ", '' using 1:3 with linespoints title 'validation'" : "")
     << ", '' using 1:4 with linespoints title 'test'\n"
     << "set title 'accuracy'\nset key bottom right\nplot " << quoted(dat)
     << " using 1:5 with linespoints title 'train'"
     << (has_val ? ", '' using 1:6 with linespoints title 'validation'" : "")
     << ", '' using 1:7 with linespoints title 'test'\n"
     << "set title 'learning rate'\nset logscale y\nplot " << quoted(dat)
     << " using 1:8 with steps title 'lr'\n";
  if (t.has_gns)  // McCandlish et al.: B_simple predicts the critical batch size
    gp << "set title 'gradient noise scale B_{simple} = tr(Σ)/|G|^2'\nunset logscale y\nset key top "
          "left\nplot "
       << quoted(dat) << " using 1:9 with linespoints title 'B_{simple} (samples)'\n";
  gp << "unset multiplot\n";
  gp.close();
}

}  // namespace

int plot_command(const std::vector<std::string>& args, dist::Comm& comm) {
  PlotArgs a;
  const auto desc = plot_description(a);
  auto p = parse("plot", desc, args, false);
  if (p.help) return print_help(desc, comm);
  if (!comm.is_root()) return 0;
  std::ifstream in(a.metrics);
  TANDEM_USAGE_CHECK(in.good(), "cannot read --metrics '", a.metrics,
                     "'; it is written by tandem train --out DIR");
  const auto tmp = std::filesystem::temp_directory_path() / ("tandem_plot_" + std::to_string(::getpid()));
  std::filesystem::create_directories(tmp);
  const std::string dat = (tmp / "metrics.dat").string(), script = (tmp / "plot.gp").string();
  const auto table = write_data(in, dat);
  TANDEM_USAGE_CHECK(table.rows > 0, "'", a.metrics, "' holds no epoch lines yet");
  if (a.title.empty()) a.title = std::filesystem::path(a.metrics).parent_path().string();
  write_script(script, dat, a, table);
  run_gnuplot(tmp, script, a.out);
  std::printf("wrote %s: %lld epoch(s) from %s\n", a.out.c_str(), static_cast<long long>(table.rows),
              a.metrics.c_str());
  return 0;
}

}  // namespace tandem::cli
