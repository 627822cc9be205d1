// Writes the seed files of dataset_raw_fuzz (corpus/dataset_raw/): small valid datasets in
// the layouts tandem reads, written with tandem's own HDF5 writer. Run by hand
// (build-fuzz/tests/fuzz/make_h5_seeds DIR) when the layout changes; the files are checked in.
#include <cstdio>
#include <string>
#include <vector>

#include "tandem/io/h5.hpp"

namespace {

using tandem::io::H5File;

void labelled_images(const std::string& path, int64_t chunk_rows) {
  H5File f(path, H5File::Mode::kCreate);
  std::vector<uint8_t> x(4 * 1 * 2 * 2);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<uint8_t>(i * 16);
  const std::vector<int32_t> y = {0, 1, 2, 1};
  f.write("/train/x", {4, 1, 2, 2}, x.data(), chunk_rows);
  f.set_attr("/train/x", "scale", 1.0 / 255);
  f.write("/train/y", {4}, y.data(), chunk_rows);
  f.set_attr("/", "classes", std::vector<std::string>{"a", "b", "c"});
  f.set_attr("/", "format", std::string("tandem-dataset"));
  f.set_attr("/", "version", int64_t{1});
}

void named_inputs_and_vector_targets(const std::string& path) {
  H5File f(path, H5File::Mode::kCreate);
  const std::vector<float> image = {0.5f, -1, 2, 3, 4, 5}, extra = {1, 2, 3};
  const std::vector<float> scores = {0, 1, 1, 0, 0.5f, 0.5f};
  const std::vector<int32_t> kind = {2, 0, 1};
  f.create_group("/train/x");
  f.write("/train/x/image", {3, 2}, image.data());
  f.write("/train/x/extra", {3, 1}, extra.data(), 2);
  f.create_group("/train/y");
  f.write("/train/y/scores", {3, 2}, scores.data());
  f.write("/train/y/kind", {3}, kind.data());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_h5_seeds DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  labelled_images(dir + "/images-contiguous.h5", 0);
  labelled_images(dir + "/images-chunked.h5", 2);
  named_inputs_and_vector_targets(dir + "/named-inputs.h5");
  return 0;
}
