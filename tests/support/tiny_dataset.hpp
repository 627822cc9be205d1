#pragma once
// A tiny classification dataset for trainer tests: n samples of d standard-normal features
// (Philox, `seed`), labels i % classes, the same rows in /train and /test.
#include <cstdint>
#include <string>
#include <vector>

#include "tandem/core/rng.hpp"
#include "tandem/io/h5.hpp"

namespace tandem::testing {

inline void write_tiny_dataset(const std::string& path, int64_t n, int64_t d, int classes, uint64_t seed) {
  std::vector<float> x(static_cast<size_t>(n * d));
  std::vector<int32_t> y(static_cast<size_t>(n));
  Philox rng(seed, RngPurpose::kInit);
  for (auto& v : x) v = static_cast<float>(rng.normal());
  for (int64_t i = 0; i < n; ++i) y[i] = static_cast<int32_t>(i % classes);
  io::H5File f(path, io::H5File::Mode::kCreate);
  for (const char* split : {"/train", "/test"}) {
    f.write(std::string(split) + "/x", {n, d}, x.data());
    f.write(std::string(split) + "/y", {n}, y.data());
  }
}

}  // namespace tandem::testing
