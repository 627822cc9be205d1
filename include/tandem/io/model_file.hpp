#pragma once
// Model files (final.h5, and the model part of checkpoints): parameters, non-trainable state,
// the model-spec text and the configuration, readable with h5dump and h5py.
//
//   /                 attrs format="tandem-model", format_version, tandem_version
//   /model            attrs spec (text), loss, input_shape, classes
//   /params/NODE.P    float32 datasets in the parameter's shape
//   /state/NODE.S     float32 (batch-norm running statistics)
//   /preprocessing    (when used) attrs mode, eps; float32 mean [D], scale [D], whiten [D, D]
//   /config           attrs: every resolved option as text
#include <map>
#include <memory>
#include <string>

#include "tandem/model/model.hpp"

namespace tandem::io {

class H5File;

inline constexpr int64_t kModelFormatVersion = 1;

void write_model(H5File& f, model::Model& m, const std::map<std::string, std::string>& config);
// Atomic: written to PATH.tmp and renamed.
void save_model(const std::string& path, model::Model& m, const std::map<std::string, std::string>& config);

// Rebuilds the model from the stored spec and loads its parameters and state.
std::unique_ptr<model::Model> load_model(const std::string& path, const model::BuildOptions& options = {});
void read_model_params(const H5File& f, model::Model& m);

}  // namespace tandem::io
