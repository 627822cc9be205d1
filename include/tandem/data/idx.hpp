#pragma once
// IDX files (MNIST, Fashion-MNIST; gzip-compressed or not) and their conversion to the
// tandem HDF5 dataset layout.
#include <cstdint>
#include <string>
#include <vector>

namespace tandem::data {

struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;
};

// Reads an unsigned-byte IDX file; errors name the file and what is wrong with it.
IdxArray read_idx(const std::string& path);

struct IdxSources {
  std::string train_images, train_labels, test_images, test_labels;
  std::vector<std::string> classes;  // class names, stored as the `classes` attribute
  std::string source;                // provenance, stored as the `source` attribute
};

// Standard file names (train-images-idx3-ubyte[.gz], ...) in a directory.
IdxSources idx_sources_in(const std::string& dir);

// Writes train and test splits: x uint8 [N, 1, H, W] with scale 1/255, y int32 [N].
void convert_idx(const IdxSources& src, const std::string& out_path);

}  // namespace tandem::data
