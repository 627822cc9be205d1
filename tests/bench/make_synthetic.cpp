// A synthetic image dataset of any size for the streaming benchmark (tests/bench/large_data.sh):
// /train/x uint8 [N, C, H, W] (scale 1/255) and /train/y int32 [N], and a small /test split,
// written contiguous (the layout streaming reads directly) in blocks, so that a file far larger
// than memory is written with a few MiB. Pixel values follow the class (a learnable task).
//   make_synthetic OUT.h5 ROWS [C H W] [CLASSES]
#include <hdf5.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

uint32_t mix(uint64_t x) {  // splitmix64's finalizer: cheap, deterministic noise
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return static_cast<uint32_t>(x ^ (x >> 31));
}

int32_t label_of(int64_t row, int classes) {
  return static_cast<int32_t>(mix(static_cast<uint64_t>(row) * 7919u) % static_cast<uint32_t>(classes));
}

bool write_split(hid_t file, const std::string& split, int64_t rows, const hsize_t sample[3], int classes,
                 int64_t first_row) {
  const hid_t group = H5Gcreate2(file, split.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  const hsize_t dims[4] = {static_cast<hsize_t>(rows), sample[0], sample[1], sample[2]};
  const hid_t space = H5Screate_simple(4, dims, nullptr);
  const hid_t x = H5Dcreate2(group, "x", H5T_STD_U8LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  const double scale = 1.0 / 255;
  const hid_t scalar = H5Screate(H5S_SCALAR);
  const hid_t attr = H5Acreate2(x, "scale", H5T_IEEE_F64LE, scalar, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(attr, H5T_NATIVE_DOUBLE, &scale);
  H5Aclose(attr), H5Sclose(scalar);
  const int64_t width = static_cast<int64_t>(sample[0] * sample[1] * sample[2]), block = 16384;
  std::vector<uint8_t> buffer(static_cast<size_t>(block * width));
  std::vector<int32_t> labels(static_cast<size_t>(rows));
  bool ok = true;
  for (int64_t r0 = 0; r0 < rows && ok; r0 += block) {
    const int64_t n = std::min(block, rows - r0);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t row = first_row + r0 + i;
      const int32_t c = label_of(row, classes);
      labels[r0 + i] = c;
      for (int64_t k = 0; k < width; ++k)  // the class sets the mean of a band of pixels
        buffer[i * width + k] =
            static_cast<uint8_t>((mix(row * width + k) & 63) + ((k * classes / width) == c ? 160 : 32));
    }
    const hsize_t start[4] = {static_cast<hsize_t>(r0), 0, 0, 0};
    const hsize_t count[4] = {static_cast<hsize_t>(n), sample[0], sample[1], sample[2]};
    H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nullptr, count, nullptr);
    const hid_t mem = H5Screate_simple(4, count, nullptr);
    ok = H5Dwrite(x, H5T_NATIVE_UINT8, mem, space, H5P_DEFAULT, buffer.data()) >= 0;
    H5Sclose(mem);
  }
  const hsize_t ydims[1] = {static_cast<hsize_t>(rows)};
  const hid_t yspace = H5Screate_simple(1, ydims, nullptr);
  const hid_t y = H5Dcreate2(group, "y", H5T_STD_I32LE, yspace, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  ok = ok && H5Dwrite(y, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, labels.data()) >= 0;
  H5Dclose(y), H5Sclose(yspace), H5Dclose(x), H5Sclose(space), H5Gclose(group);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 && argc != 6 && argc != 7) {
    std::fprintf(stderr, "usage: %s OUT.h5 ROWS [C H W] [CLASSES]\n", argv[0]);
    return 2;
  }
  const int64_t rows = std::atoll(argv[2]);
  const hsize_t sample[3] = {argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 3,
                             argc > 3 ? std::strtoull(argv[4], nullptr, 10) : 32,
                             argc > 3 ? std::strtoull(argv[5], nullptr, 10) : 32};
  const int classes = argc == 7 ? std::atoi(argv[6]) : 10;
  const hid_t file = H5Fcreate(argv[1], H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (file < 0 || rows <= 0 || classes <= 1) {
    std::fprintf(stderr, "cannot create %s (or bad ROWS / CLASSES)\n", argv[1]);
    return 1;
  }
  const bool ok = write_split(file, "/train", rows, sample, classes, 0) &&
                  write_split(file, "/test", std::min<int64_t>(rows, 2000), sample, classes, rows);
  H5Fclose(file);
  if (!ok) std::fprintf(stderr, "writing %s failed (disk full?)\n", argv[1]);
  return ok ? 0 : 1;
}
