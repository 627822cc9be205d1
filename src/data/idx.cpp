#include "tandem/data/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <filesystem>

#include "tandem/core/error.hpp"
#include "tandem/io/h5.hpp"

namespace tandem::data {

IdxArray read_idx(const std::string& path) {
  TANDEM_CHECK(std::filesystem::exists(path), "IDX file '", path, "' does not exist");
  gzFile f = gzopen(path.c_str(), "rb");  // also reads uncompressed files
  TANDEM_CHECK(f, "cannot open IDX file '", path, "'");
  auto read = [&](void* p, unsigned n) { return gzread(f, p, n) == static_cast<int>(n); };
  unsigned char magic[4];
  IdxArray out;
  bool ok = read(magic, 4);
  if (ok && (magic[0] != 0 || magic[1] != 0 || magic[2] != 0x08 || magic[3] == 0 || magic[3] > 4)) {
    gzclose(f);
    throw Error("'" + path + "' is not an unsigned-byte IDX file (bad magic number)");
  }
  // Each dimension is a 32-bit count: their product is checked before it is formed, and the
  // data is read in blocks, so a damaged header neither overflows nor allocates more than
  // the file holds.
  constexpr int64_t kMaxBytes = int64_t{1} << 40;
  int64_t total = 1;
  for (int i = 0; ok && i < magic[3]; ++i) {
    unsigned char d[4];
    ok = read(d, 4);
    if (!ok) break;
    const int64_t v = (int64_t{d[0]} << 24) | (d[1] << 16) | (d[2] << 8) | d[3];
    out.dims.push_back(v);
    if (v > 0 && total > kMaxBytes / v) {
      gzclose(f);
      throw Error("IDX file '" + path + "' declares more than 2^40 bytes of data (dimension " +
                  std::to_string(i) + " is " + std::to_string(v) + "): its header is damaged");
    }
    total *= v;
  }
  constexpr int64_t kBlock = int64_t{1} << 20;
  while (ok && static_cast<int64_t>(out.data.size()) < total) {
    const int64_t at = static_cast<int64_t>(out.data.size()), n = std::min(kBlock, total - at);
    out.data.resize(static_cast<size_t>(at + n));
    ok = read(out.data.data() + at, static_cast<unsigned>(n));
  }
  gzclose(f);
  TANDEM_CHECK(ok, "IDX file '", path, "' is truncated");
  return out;
}

IdxSources idx_sources_in(const std::string& dir) {
  auto pick = [&](const std::string& stem) {
    for (const auto& name : {stem + ".gz", stem}) {
      const auto p = std::filesystem::path(dir) / name;
      if (std::filesystem::exists(p)) return p.string();
    }
    throw Error("no '" + stem + "[.gz]' in '" + dir + "'");
  };
  IdxSources s;
  s.train_images = pick("train-images-idx3-ubyte");
  s.train_labels = pick("train-labels-idx1-ubyte");
  s.test_images = pick("t10k-images-idx3-ubyte");
  s.test_labels = pick("t10k-labels-idx1-ubyte");
  s.source = dir;
  return s;
}

void convert_idx(const IdxSources& src, const std::string& out_path) {
  const std::pair<const char*, std::pair<std::string, std::string>> splits[] = {
      {"train", {src.train_images, src.train_labels}}, {"test", {src.test_images, src.test_labels}}};
  std::vector<std::pair<IdxArray, IdxArray>> data;
  int32_t max_label = 0;
  for (const auto& [name, files] : splits) {
    auto x = read_idx(files.first);
    auto y = read_idx(files.second);
    TANDEM_CHECK(x.dims.size() == 3, "'", files.first, "' must hold [N, H, W] images");
    TANDEM_CHECK(y.dims.size() == 1, "'", files.second, "' must hold [N] labels");
    TANDEM_CHECK(x.dims[0] == y.dims[0], name, " split: ", x.dims[0], " images but ", y.dims[0], " labels");
    for (auto v : y.data) max_label = std::max<int32_t>(max_label, v);
    data.emplace_back(std::move(x), std::move(y));
  }
  std::vector<std::string> classes = src.classes;
  if (classes.empty())
    for (int32_t c = 0; c <= max_label; ++c) classes.push_back(std::to_string(c));
  io::write_atomically(out_path, [&](io::H5File& f) {
    for (size_t i = 0; i < data.size(); ++i) {
      const std::string g = std::string("/") + splits[i].first;
      const auto& [x, y] = data[i];
      f.create_group(g);
      const std::vector<int64_t> dims{x.dims[0], 1, x.dims[1], x.dims[2]};
      f.write(g + "/x", dims, x.data.data(), 1024);
      f.set_attr(g + "/x", "scale", 1.0 / 255.0);
      std::vector<int32_t> labels(y.data.begin(), y.data.end());
      f.write(g + "/y", {y.dims[0]}, labels.data(), 1024 * 64);
    }
    f.set_attr("/", "format", std::string("tandem-dataset"));
    f.set_attr("/", "version", int64_t{1});
    f.set_attr("/", "source", src.source);
    f.set_attr("/", "classes", classes);
  });
}

}  // namespace tandem::data
