#include "tandem/io/checkpoint.hpp"

#include <algorithm>
#include <csignal>
#include <cstdlib>

#include "tandem/core/error.hpp"
#include "tandem/io/h5.hpp"
#include "tandem/io/model_file.hpp"

namespace tandem::io {
namespace {

// Every scalar attribute of /progress and /data, listed once for writing and for reading.
template <class Visit>
void visit_fields(TrainProgress& p, DataShape& d, Visit&& v) {
  v("/progress", "epoch", p.epoch);
  v("/progress", "batch", p.batch);
  v("/progress", "global_step", p.global_step);
  v("/progress", "epoch_loss_sum", p.epoch_loss_sum);
  v("/progress", "epoch_correct", p.epoch_correct);
  v("/progress", "epoch_seen", p.epoch_seen);
  v("/progress", "window_loss_sum", p.window_loss_sum);
  v("/progress", "window_seen", p.window_seen);
  v("/progress", "epoch_grad_norm_sum", p.epoch_grad_norm_sum);
  v("/progress", "epoch_grad_norm_steps", p.epoch_grad_norm_steps);
  v("/progress", "epoch_clipped", p.epoch_clipped);
  v("/progress", "window_grad_norm_sum", p.window_grad_norm_sum);
  v("/progress", "window_grad_norm_steps", p.window_grad_norm_steps);
  v("/progress", "gns_ema_g2", p.gns_ema_g2);
  v("/progress", "gns_ema_trace", p.gns_ema_trace);
  v("/progress", "gns_steps", p.gns_steps);
  v("/progress", "samples_trained", p.samples_trained);
  v("/progress", "train_seconds", p.train_seconds);
  v("/progress", "lr_scale", p.lr_scale);
  v("/progress", "nonfinite_lr_scale", p.nonfinite_lr_scale);
  v("/progress", "skipped_steps", p.skipped_steps);
  v("/progress", "rollbacks", p.rollbacks);
  v("/progress", "best_metric", p.best_metric);
  v("/progress", "best_epoch", p.best_epoch);
  v("/progress", "bad_epochs", p.bad_epochs);
  v("/progress", "ranks", p.ranks);
  v("/data", "train_size", d.train_size);
  v("/data", "val_size", d.val_size);
  v("/data", "test_size", d.test_size);
  v("/data", "classes", d.classes);
  v("/data", "sample_shape", d.sample_shape);
}

// Attributes added after format 1 was first written read as their defaults when absent.
void read_attr(const H5File& f, const char* group, const char* name, int64_t& out) {
  if (f.has_attr(group, name)) out = f.attr_int(group, name);
}
void read_attr(const H5File& f, const char* group, const char* name, double& out) {
  if (f.has_attr(group, name)) out = f.attr_double(group, name);
}
void read_attr(const H5File& f, const char* group, const char* name, std::string& out) {
  out = f.attr_string(group, name);
}

// Test-only fault injection (tests/integration/fault_test.sh): with
// TANDEM_TEST_KILL_BEFORE_RENAME=N in its environment, the process kills itself with SIGKILL
// when its N-th checkpoint is written and flushed but not yet renamed into place, the crash
// the temporary name guards against. Only rank 0 writes checkpoints, so only rank 0 dies.
void kill_before_rename_if_asked() {
  static const char* const n = std::getenv("TANDEM_TEST_KILL_BEFORE_RENAME");
  static int written = 0;
  if (n != nullptr && ++written == std::atoi(n)) std::raise(SIGKILL);
}

}  // namespace

OptimizerRecord optimizer_record(optim::Optimizer& opt, int64_t params) {
  OptimizerRecord r{opt.name(), opt.steps(), {}};
  opt.prepare_state(params);  // an optimizer that has not stepped yet holds zeros
  for (const auto& s : opt.state()) r.state.push_back({s.name, *s.data, {}});
  return r;
}

void save_checkpoint(const std::string& path, model::Model& m, const OptimizerRecord& opt,
                     const std::map<std::string, std::string>& config, const TrainProgress& p,
                     const DataShape& data, const std::vector<std::string>& history,
                     std::span<const RunArray> run_arrays) {
  write_atomically(
      path,
      [&](H5File& f) {
        write_model(f, m, config);
        f.set_attr("/", "format", std::string("tandem-checkpoint"));
        f.set_attr("/", "format_version", kCheckpointFormatVersion);
        f.create_group("/optimizer");
        f.set_attr("/optimizer", "name", opt.name);
        f.set_attr("/optimizer", "steps", opt.steps);
        for (const auto& s : opt.state)
          f.write("/optimizer/" + s.name, {static_cast<int64_t>(s.f32.size())}, s.f32.data());
        f.create_group("/progress");
        f.create_group("/data");
        auto progress = p;
        auto shape = data;
        visit_fields(progress, shape, [&](const char* group, const char* name, const auto& value) {
          f.set_attr(group, name, value);
        });
        f.create_group("/history");
        f.set_attr("/history", "lines", history);
        if (!run_arrays.empty()) f.create_group("/run");
        for (const auto& a : run_arrays) {
          const std::string ds = "/run/" + a.name;
          if (!a.f64.empty())
            f.write(ds, {static_cast<int64_t>(a.f64.size())}, a.f64.data());
          else
            f.write(ds, {static_cast<int64_t>(a.f32.size())}, a.f32.data());
        }
      },
      kill_before_rename_if_asked);
}

CheckpointMeta read_checkpoint_meta(const std::string& path) {
  H5File f(path, H5File::Mode::kRead);
  TANDEM_USAGE_CHECK(f.has_attr("/", "format") && f.attr_string("/", "format") == "tandem-checkpoint", "'",
                     path,
                     "' is not a tandem checkpoint (a final.h5 model file cannot be resumed: it "
                     "holds no optimizer state or position; use a ckpt-*.h5 file)");
  const int64_t version = f.attr_int("/", "format_version");
  TANDEM_USAGE_CHECK(version <= kCheckpointFormatVersion, "'", path, "' has checkpoint format ", version,
                     "; this tandem reads up to ", kCheckpointFormatVersion, ": use a newer tandem");
  CheckpointMeta m;
  m.spec_text = f.attr_string("/model", "spec");
  m.tandem_version = f.attr_string("/", "tandem_version");
  for (const auto& name : f.attr_names("/config")) m.config[name] = f.attr_string("/config", name);
  visit_fields(m.progress, m.data,
               [&](const char* group, const char* name, auto& value) { read_attr(f, group, name, value); });
  m.history = f.attr_strings("/history", "lines");
  return m;
}

void restore_checkpoint(const std::string& path, model::Model& m, optim::Optimizer& opt) {
  H5File f(path, H5File::Mode::kRead);
  read_model_params(f, m);
  const auto stored = f.attr_string("/optimizer", "name");
  TANDEM_USAGE_CHECK(stored == opt.name(), "'", path, "' was written by optimizer '", stored,
                     "', this run uses '", opt.name(), "'; the optimizer cannot change on resume");
  const int64_t n = m.graph.param_count();
  opt.prepare_state(n);
  const auto [lo, hi] = opt.owned_range(n);
  const bool piece = lo != 0 || hi != n;  // sharded: this rank keeps [lo, hi) of each array
  std::vector<float> full(piece ? static_cast<size_t>(n) : 0);
  for (const auto& s : opt.state()) {
    const std::string ds = "/optimizer/" + s.name;
    TANDEM_CHECK(f.exists(ds), "'", path, "' lacks optimizer state '", ds, "'");
    const int64_t stored = piece ? n : static_cast<int64_t>(s.data->size());
    TANDEM_CHECK(f.info(ds).dims == std::vector<int64_t>{stored}, "'", ds, "' in '", path,
                 "' has the wrong size for this model");
    f.read(ds, piece ? full.data() : s.data->data());
    if (piece) std::copy(full.begin() + lo, full.begin() + hi, s.data->begin());
  }
  opt.set_steps(f.attr_int("/optimizer", "steps"));
}

namespace {

template <class T>
bool read_array(const std::string& path, const std::string& name, std::vector<T>& out) {
  H5File f(path, H5File::Mode::kRead);
  const std::string ds = "/run/" + name;
  if (!f.exists(ds)) return false;
  const auto dims = f.info(ds).dims;
  TANDEM_CHECK(dims.size() == 1, "'", ds, "' in '", path, "' is not a vector");
  out.resize(static_cast<size_t>(dims[0]));
  f.read(ds, out.data());
  return true;
}

}  // namespace

bool read_run_array(const std::string& path, const std::string& name, std::vector<float>& out) {
  return read_array(path, name, out);
}

bool read_run_array(const std::string& path, const std::string& name, std::vector<double>& out) {
  return read_array(path, name, out);
}

}  // namespace tandem::io
