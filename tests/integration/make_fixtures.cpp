// Writes the damaged and mismatched datasets the CLI test feeds to `tandem train`.
#include <cstdio>
#include <string>
#include <vector>

#include "tandem/io/h5.hpp"

using tandem::io::H5File;

namespace {

void write_split(H5File& f, const std::string& split, int64_t n_x, int64_t n_y, std::vector<int64_t> sample,
                 int32_t max_label) {
  int64_t numel = n_x;
  for (auto d : sample) numel *= d;
  std::vector<uint8_t> x(numel);
  for (int64_t i = 0; i < numel; ++i) x[i] = static_cast<uint8_t>((i * 37) % 251);
  std::vector<int32_t> y(n_y);
  for (int64_t i = 0; i < n_y; ++i) y[i] = static_cast<int32_t>(i % (max_label + 1));
  std::vector<int64_t> dims{n_x};
  dims.insert(dims.end(), sample.begin(), sample.end());
  f.write("/" + split + "/x", dims, x.data());
  f.set_attr("/" + split + "/x", "scale", 1.0 / 255);
  f.write("/" + split + "/y", {n_y}, y.data());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_fixtures OUTDIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  const std::vector<int64_t> image{1, 28, 28};
  {
    H5File f(dir + "/no_train.h5", H5File::Mode::kCreate);
    write_split(f, "test", 20, 20, image, 9);
  }
  {
    H5File f(dir + "/length_mismatch.h5", H5File::Mode::kCreate);
    write_split(f, "train", 20, 19, image, 9);
    write_split(f, "test", 20, 20, image, 9);
  }
  {
    H5File f(dir + "/label_12.h5", H5File::Mode::kCreate);
    write_split(f, "train", 40, 40, image, 12);
    write_split(f, "test", 20, 20, image, 9);
  }
  {
    H5File f(dir + "/small_images.h5", H5File::Mode::kCreate);
    write_split(f, "train", 20, 20, {1, 14, 14}, 9);
    write_split(f, "test", 20, 20, {1, 14, 14}, 9);
  }
  return 0;
}
