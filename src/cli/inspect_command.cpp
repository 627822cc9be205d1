#include <iostream>

#include "commands.hpp"
#include "options.hpp"
#include "tandem/core/error.hpp"
#include "tandem/io/checkpoint.hpp"
#include "tandem/io/h5.hpp"
#include "tandem/io/model_file.hpp"
#include "tandem/train/metrics_file.hpp"

namespace tandem::cli {
namespace {

// The option table, bound to `path` (which must outlive it).
po::options_description inspect_description(std::string& path) {
  po::options_description desc(
      "tandem inspect FILE\n\nPrints a model file or checkpoint: the model (nodes, output shapes, "
      "parameter counts), the training state and configuration, and the metric history.\n\nOptions");
  desc.add_options()("help,h", "show this help")("file", po::value(&path), "model file or checkpoint");
  return desc;
}

// The file's header line, then the model: losses, nodes with output shapes and parameter
// counts, totals and input preprocessing.
void print_model(const std::string& path, model::Model& m, const io::H5File& f, const std::string& format) {
  std::string losses;
  for (const auto& h : m.heads)
    losses += (losses.empty() ? "" : ", ") + h.loss->name() +
              (m.heads.size() > 1 ? " on " + h.name + " weight " + detail::concat(h.weight) : std::string());
  std::printf("%s: %s format %lld, written by tandem %s\n\nmodel (loss %s):\n", path.c_str(), format.c_str(),
              static_cast<long long>(f.attr_int("/", "format_version")),
              f.attr_string("/", "tandem_version").c_str(), losses.c_str());
  std::printf("  %-16s %-14s %-18s %12s\n", "node", "op", "output (per sample)", "parameters");
  const auto& g = m.graph;
  for (int id = 0; id < g.node_count(); ++id) {
    const auto& n = g.node(id);
    int64_t params = 0;
    for (int ref : n.params) params += g.param_refs()[ref].spec.shape.numel();
    std::printf("  %-16s %-14s %-18s %12lld\n", n.name.c_str(), n.is_input() ? "input" : n.op->type().c_str(),
                n.shape.str().c_str(), static_cast<long long>(params));
  }
  std::printf(
      "  total %lld parameters, %lld running-statistic values\n", static_cast<long long>(g.param_count()),
      static_cast<long long>(m.graph.state_refs().empty() ? 0
                                                          : static_cast<int64_t>(m.graph.state().size())));
  const auto& pre = m.preprocessing;
  if (pre.active())
    std::printf("  input preprocessing %s%s (fitted on the training split)\n", enum_name(pre.mode).c_str(),
                pre.whiten.empty() ? "" : (", eps " + std::to_string(pre.eps)).c_str());
}

// The metric history of a checkpoint, one row per epoch (NaN where a metric is missing).
void print_history(const std::vector<std::string>& history) {
  if (history.empty()) return;
  std::printf("\nhistory:\n  %5s %8s %10s %9s %10s %9s %10s %9s %10s\n", "epoch", "step", "train_loss",
              "train_acc", "val_loss", "val_acc", "test_loss", "test_acc", "lr");
  for (const auto& line : history) {
    const auto v = train::parse_metrics_line(line);
    auto get = [&](const char* k) { return v.count(k) ? v.at(k) : std::nan(""); };
    std::printf("  %5.0f %8.0f %10.4f %9.4f %10.4f %9.4f %10.4f %9.4f %10.4g\n", get("epoch"), get("step"),
                get("train_loss"), get("train_accuracy"), get("val_loss"), get("val_accuracy"),
                get("test_loss"), get("test_accuracy"), get("lr"));
  }
}

// Where a checkpoint's run stands: epoch, batch, step, optimizer, the data it was trained
// on, and its metric history.
void print_training_state(const std::string& path, const io::H5File& f) {
  const auto meta = io::read_checkpoint_meta(path);
  const auto& pr = meta.progress;
  std::printf(
      "\ntraining state: epoch %lld, next batch %lld, global step %lld, optimizer %s (%lld steps), "
      "lr scale %g, written by %lld rank(s)\n",
      static_cast<long long>(pr.epoch + 1), static_cast<long long>(pr.batch),
      static_cast<long long>(pr.global_step), f.attr_string("/optimizer", "name").c_str(),
      static_cast<long long>(f.attr_int("/optimizer", "steps")), pr.lr_scale,
      static_cast<long long>(pr.ranks));
  if (pr.best_epoch > 0)
    std::printf("best monitored value %g at epoch %lld\n", pr.best_metric,
                static_cast<long long>(pr.best_epoch));
  std::printf("data: %lld train / %lld validation / %lld test samples of shape %s\n",
              static_cast<long long>(meta.data.train_size), static_cast<long long>(meta.data.val_size),
              static_cast<long long>(meta.data.test_size), meta.data.sample_shape.c_str());
  print_history(meta.history);
}

}  // namespace

int inspect_command(const std::vector<std::string>& args, dist::Comm& comm) {
  std::string path;
  const auto desc = inspect_description(path);
  po::positional_options_description pos;
  pos.add("file", 1);
  auto p = parse("inspect", desc, args, false, &pos);
  if (p.help) return print_help(desc, comm);
  TANDEM_USAGE_CHECK(!path.empty(), "no file given: tandem inspect FILE (a model file or checkpoint)");
  if (!comm.is_root()) return 0;
  auto m = io::load_model(path);
  io::H5File f(path, io::H5File::Mode::kRead);
  const std::string format = f.attr_string("/", "format");
  print_model(path, *m, f, format);
  if (format == "tandem-checkpoint") print_training_state(path, f);
  std::printf("\nconfiguration:\n");
  for (const auto& name : f.attr_names("/config"))
    std::printf("  %s = %s\n", name.c_str(), f.attr_string("/config", name).c_str());
  return 0;
}

}  // namespace tandem::cli
