#include "tandem/io/checkpoint.hpp"

#include "tandem/core/error.hpp"
#include "tandem/io/h5.hpp"
#include "tandem/io/model_file.hpp"

namespace tandem::io {

void save_checkpoint(const std::string& path, model::Model& m, optim::Optimizer& opt,
                     const std::map<std::string, std::string>& config, const TrainProgress& p,
                     const DataShape& data, const std::vector<std::string>& history) {
  write_atomically(path, [&](H5File& f) {
    write_model(f, m, config);
    f.set_attr("/", "format", std::string("tandem-checkpoint"));
    f.set_attr("/", "format_version", kCheckpointFormatVersion);
    f.create_group("/optimizer");
    f.set_attr("/optimizer", "name", opt.name());
    f.set_attr("/optimizer", "steps", opt.steps());
    for (const auto& s : opt.state())
      f.write("/optimizer/" + s.name, {static_cast<int64_t>(s.data->size())}, s.data->data());
    f.create_group("/progress");
    f.set_attr("/progress", "epoch", p.epoch);
    f.set_attr("/progress", "batch", p.batch);
    f.set_attr("/progress", "global_step", p.global_step);
    f.set_attr("/progress", "epoch_loss_sum", p.epoch_loss_sum);
    f.set_attr("/progress", "epoch_correct", p.epoch_correct);
    f.set_attr("/progress", "epoch_seen", p.epoch_seen);
    f.set_attr("/progress", "lr_scale", p.lr_scale);
    f.set_attr("/progress", "best_metric", p.best_metric);
    f.set_attr("/progress", "best_epoch", p.best_epoch);
    f.set_attr("/progress", "bad_epochs", p.bad_epochs);
    f.set_attr("/progress", "ranks", p.ranks);
    f.create_group("/data");
    f.set_attr("/data", "train_size", data.train_size);
    f.set_attr("/data", "val_size", data.val_size);
    f.set_attr("/data", "test_size", data.test_size);
    f.set_attr("/data", "classes", data.classes);
    f.set_attr("/data", "sample_shape", data.sample_shape);
    f.create_group("/history");
    f.set_attr("/history", "lines", history);
  });
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
  auto& p = m.progress;
  p.epoch = f.attr_int("/progress", "epoch");
  p.batch = f.attr_int("/progress", "batch");
  p.global_step = f.attr_int("/progress", "global_step");
  p.epoch_loss_sum = f.attr_double("/progress", "epoch_loss_sum");
  p.epoch_correct = f.attr_double("/progress", "epoch_correct");
  p.epoch_seen = f.attr_double("/progress", "epoch_seen");
  p.lr_scale = f.attr_double("/progress", "lr_scale");
  p.best_metric = f.attr_double("/progress", "best_metric");
  p.best_epoch = f.attr_int("/progress", "best_epoch");
  p.bad_epochs = f.attr_int("/progress", "bad_epochs");
  p.ranks = f.attr_int("/progress", "ranks");
  m.data.train_size = f.attr_int("/data", "train_size");
  m.data.val_size = f.attr_int("/data", "val_size");
  m.data.test_size = f.attr_int("/data", "test_size");
  m.data.classes = f.attr_int("/data", "classes");
  m.data.sample_shape = f.attr_string("/data", "sample_shape");
  m.history = f.attr_strings("/history", "lines");
  return m;
}

void restore_checkpoint(const std::string& path, model::Model& m, optim::Optimizer& opt) {
  H5File f(path, H5File::Mode::kRead);
  read_model_params(f, m);
  const auto stored = f.attr_string("/optimizer", "name");
  TANDEM_USAGE_CHECK(stored == opt.name(), "'", path, "' was written by optimizer '", stored,
                     "', this run uses '", opt.name(), "'; the optimizer cannot change on resume");
  opt.prepare_state(m.graph.param_count());
  for (const auto& s : opt.state()) {
    const std::string ds = "/optimizer/" + s.name;
    TANDEM_CHECK(f.exists(ds), "'", path, "' lacks optimizer state '", ds, "'");
    TANDEM_CHECK(f.info(ds).dims == std::vector<int64_t>{static_cast<int64_t>(s.data->size())}, "'", ds,
                 "' in '", path, "' has the wrong size for this model");
    f.read(ds, s.data->data());
  }
  opt.set_steps(f.attr_int("/optimizer", "steps"));
}

}  // namespace tandem::io
