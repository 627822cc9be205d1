#pragma once
// A split of a tandem HDF5 dataset (see datasets/README.md), held in memory in its stored
// type (uint8 stays uint8) and converted to float32 batch by batch.
#include <cstdint>
#include <string>
#include <vector>

#include "tandem/tensor/shape.hpp"

namespace tandem::data {

class Dataset {
 public:
  // Reads /SPLIT/x and /SPLIT/y, validating the layout; `limit` > 0 keeps the first rows only.
  static Dataset load(const std::string& path, const std::string& split, int64_t limit = 0);

  int64_t size() const { return n_; }
  const Shape& sample_shape() const { return shape_; }
  int64_t sample_numel() const { return shape_.numel(); }
  const std::vector<int32_t>& labels() const { return y_; }
  int32_t max_label() const;
  int64_t classes_in_file() const { return classes_; }  // from the `classes` attribute, or 0

  // Gathers rows idx[0..n) into x [n, sample...] (float) and y [n].
  void gather(const int64_t* idx, int64_t n, float* x, int32_t* y) const;
  // A new dataset holding rows ids[0..n) in that order (a validation split, for example).
  Dataset subset(const std::vector<int64_t>& ids) const;
  // Contiguous rows [begin, begin + n).
  void rows(int64_t begin, int64_t n, float* x, int32_t* y) const;

 private:
  std::string path_;
  int64_t n_ = 0;
  Shape shape_;
  float scale_ = 1.0f;
  std::vector<uint8_t> x8_;
  std::vector<float> x32_;
  std::vector<int32_t> y_;
  int64_t classes_ = 0;
};

}  // namespace tandem::data
