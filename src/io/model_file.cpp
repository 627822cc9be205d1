#include "tandem/io/model_file.hpp"

#include "tandem/core/error.hpp"
#include "tandem/core/strings.hpp"
#include "tandem/io/h5.hpp"

namespace tandem::io {
namespace {

void write_preprocessing(H5File& f, const model::Preprocessing& p) {
  if (!p.active()) return;
  f.create_group("/preprocessing");
  f.set_attr("/preprocessing", "mode", enum_name(p.mode));
  f.set_attr("/preprocessing", "eps", p.eps);
  const auto d = static_cast<int64_t>(p.mean.size());
  f.write("/preprocessing/mean", {d}, p.mean.data());
  if (!p.scale.empty()) f.write("/preprocessing/scale", {d}, p.scale.data());
  if (!p.whiten.empty()) f.write("/preprocessing/whiten", {d, d}, p.whiten.data());
}

model::Preprocessing read_preprocessing(const H5File& f, int64_t features) {
  model::Preprocessing p;
  if (!f.exists("/preprocessing")) return p;
  const auto mode = f.attr_string("/preprocessing", "mode");
  try {
    p.mode = parse_enum<model::PreprocessMode>(mode, "preprocessing");
  } catch (const UsageError& e) {
    throw Error("'" + f.path() + "': " + e.what() + " (written by a newer tandem?)");
  }
  p.eps = f.attr_double("/preprocessing", "eps");
  auto load = [&](const std::string& name, std::vector<float>& v, const std::vector<int64_t>& dims) {
    const std::string path = "/preprocessing/" + name;
    if (!f.exists(path)) return;
    TANDEM_CHECK(f.info(path).dims == dims, "'", path, "' in '", f.path(), "' does not match the model's ",
                 features, " input features");
    v.resize(static_cast<size_t>(Shape(dims).numel()));
    f.read(path, v.data());
  };
  load("mean", p.mean, {features});
  load("scale", p.scale, {features});
  load("whiten", p.whiten, {features, features});
  TANDEM_CHECK(!p.mean.empty(), "'", f.path(), "' has preprocessing '", mode, "' without its mean");
  return p;
}

}  // namespace

void write_model(H5File& f, model::Model& m, const std::map<std::string, std::string>& config) {
  f.set_attr("/", "format", std::string("tandem-model"));
  f.set_attr("/", "format_version", kModelFormatVersion);
  f.set_attr("/", "tandem_version", std::string(TANDEM_VERSION));
  f.create_group("/model");
  f.set_attr("/model", "spec", m.spec.to_text());
  std::vector<std::string> losses;  // one per output, in spec order
  for (const auto& l : m.spec.losses) losses.push_back(l.name);
  f.set_attr("/model", "loss", join(losses, ","));
  f.set_attr("/model", "input_shape", m.input_shape().str());
  f.set_attr("/model", "classes", m.outputs());
  f.create_group("/params");
  const auto& g = m.graph;
  for (size_t i = 0; i < g.param_refs().size(); ++i) {
    const auto t = g.param(static_cast<int>(i));
    f.write("/params/" + g.param_refs()[i].name, t.shape().dims(), t.data());
  }
  f.create_group("/state");
  for (size_t i = 0; i < g.state_refs().size(); ++i) {
    const auto t = g.state_tensor(static_cast<int>(i));
    f.write("/state/" + g.state_refs()[i].name, t.shape().dims(), t.data());
  }
  write_preprocessing(f, m.preprocessing);
  f.create_group("/config");
  for (const auto& [k, v] : config) f.set_attr("/config", k, v);
}

void save_model(const std::string& path, model::Model& m, const std::map<std::string, std::string>& config) {
  write_atomically(path, [&](H5File& f) { write_model(f, m, config); });
}

void read_model_params(const H5File& f, model::Model& m) {
  auto& g = m.graph;
  auto load = [&](const std::string& path, Tensor t) {
    TANDEM_CHECK(f.exists(path), "'", f.path(), "' lacks '", path,
                 "': it was not written for this model (or is damaged)");
    const auto info = f.info(path);
    TANDEM_CHECK(Shape(info.dims) == t.shape(), "'", path, "' in '", f.path(), "' has shape ",
                 Shape(info.dims).str(), ", the model expects ", t.shape().str());
    f.read(path, t.data());
  };
  for (size_t i = 0; i < g.param_refs().size(); ++i)
    load("/params/" + g.param_refs()[i].name, g.param(static_cast<int>(i)));
  for (size_t i = 0; i < g.state_refs().size(); ++i)
    load("/state/" + g.state_refs()[i].name, g.state_tensor(static_cast<int>(i)));
  m.preprocessing = read_preprocessing(f, m.input_shape().numel());
}

std::unique_ptr<model::Model> load_model(const std::string& path, const model::BuildOptions& options) {
  H5File f(path, H5File::Mode::kRead);
  TANDEM_CHECK(f.has_attr("/model", "spec"), "'", path,
               "' is not a tandem model or checkpoint (no /model spec attribute)");
  auto spec = model::parse_spec(f.attr_string("/model", "spec"), path + ":/model/spec");
  auto m = model::build_model(spec, options);
  read_model_params(f, *m);
  return m;
}

}  // namespace tandem::io
