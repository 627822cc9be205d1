#pragma once
// Input preprocessing fitted on the training split and stored with the model, so that eval
// and predict transform their data exactly as training did:
//   x' = W ((x - mean) * scale)
// mean and scale are per feature (global and per-channel statistics are expanded to every
// feature they cover); W is the whitening matrix (PCA or ZCA) or absent.
#include <cstdint>
#include <string>
#include <vector>

namespace tandem::model {

struct Preprocessing {
  std::string mode = "none";  // see preprocess_modes()
  double eps = 0;             // whitening: added to every eigenvalue of the covariance
  std::vector<float> mean;    // [D], empty for "none"
  std::vector<float> scale;   // [D], empty: 1
  std::vector<float> whiten;  // [D, D] row-major, empty: none

  bool active() const { return mode != "none"; }
  // Transforms rows [rows, D] in place. Whitening uses a buffer that grows to the largest
  // batch once, so steady-state calls do not allocate.
  void apply(float* x, int64_t rows);

 private:
  std::vector<float> buffer_;
};

// none, center, standardize (per feature), standardize_global, standardize_channel,
// pca_whiten, zca_whiten.
bool known_preprocess_mode(const std::string& mode);
std::string preprocess_modes();

}  // namespace tandem::model
