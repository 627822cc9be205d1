#pragma once
// Input preprocessing fitted on the training split and stored with the model, so that eval
// and predict transform their data exactly as training did:
//   x' = W ((x - mean) * scale)
// mean and scale are per feature (global and per-channel statistics are expanded to every
// feature they cover); W is the whitening matrix (PCA or ZCA) or absent.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tandem/core/enum_names.hpp"

namespace tandem::model {

enum class PreprocessMode {
  kNone,
  kCenter,
  kStandardize,
  kStandardizeGlobal,
  kStandardizeChannel,
  kPcaWhiten,
  kZcaWhiten,
};
inline constexpr EnumName<PreprocessMode> kPreprocessModeNames[] = {
    {PreprocessMode::kNone, "none", "the data as stored"},
    {PreprocessMode::kCenter, "center", "subtract the per-feature mean"},
    {PreprocessMode::kStandardize, "standardize", "per-feature mean and standard deviation"},
    {PreprocessMode::kStandardizeGlobal, "standardize_global", "one mean and deviation over all features"},
    {PreprocessMode::kStandardizeChannel, "standardize_channel",
     "one mean and deviation per channel of [C, H, W]"},
    {PreprocessMode::kPcaWhiten, "pca_whiten",
     "(L + eps)^-1/2 U^T (x - mean), components by decreasing variance"},
    {PreprocessMode::kZcaWhiten, "zca_whiten", "U (L + eps)^-1/2 U^T (x - mean), stays in pixel space"},
};
constexpr std::span<const EnumName<PreprocessMode>> enum_names(PreprocessMode) {
  return kPreprocessModeNames;
}

struct Preprocessing {
  PreprocessMode mode = PreprocessMode::kNone;
  double eps = 0;             // whitening: added to every eigenvalue of the covariance
  std::vector<float> mean;    // [D], empty for "none"
  std::vector<float> scale;   // [D], empty: 1
  std::vector<float> whiten;  // [D, D] row-major, empty: none

  bool active() const { return mode != PreprocessMode::kNone; }
  // Transforms rows [rows, D] in place. Whitening uses a buffer that grows to the largest
  // batch once, so steady-state calls do not allocate.
  void apply(float* x, int64_t rows);

 private:
  std::vector<float> buffer_;
};

}  // namespace tandem::model
