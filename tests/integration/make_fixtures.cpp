// Writes the damaged and mismatched datasets the CLI test feeds to `tandem train`.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
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

// float32 images [n, 1, 28, 28] with labels 0..9; x[bad_row, 100] = bad unless bad_row < 0.
void write_float_split(H5File& f, const std::string& split, int64_t n, int64_t bad_row, float bad) {
  std::vector<float> x(n * 784);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 37) % 251) / 251.0f;
  if (bad_row >= 0) x[bad_row * 784 + 100] = bad;
  std::vector<int32_t> y(n);
  for (int64_t i = 0; i < n; ++i) y[i] = static_cast<int32_t>(i % 10);
  f.write("/" + split + "/x", {n, 1, 28, 28}, x.data(), 16);
  f.write("/" + split + "/y", {n}, y.data());
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
  // Float images holding NaN (train row 37) and infinity (test row 5).
  {
    H5File f(dir + "/nan_x.h5", H5File::Mode::kCreate);
    write_float_split(f, "train", 200, 37, std::numeric_limits<float>::quiet_NaN());
    write_float_split(f, "test", 20, 5, std::numeric_limits<float>::infinity());
  }
  // A valid dataset cut to half its size (a copy that did not finish), and a text file.
  {
    {
      H5File f(dir + "/truncated.h5", H5File::Mode::kCreate);
      write_split(f, "train", 40, 40, image, 9);
      write_split(f, "test", 20, 20, image, 9);
    }
    const auto size = std::filesystem::file_size(dir + "/truncated.h5");
    std::filesystem::resize_file(dir + "/truncated.h5", size / 2);
  }
  std::ofstream(dir + "/not_hdf5.h5") << "label,pixel0\n3,0\n";
  return 0;
}
