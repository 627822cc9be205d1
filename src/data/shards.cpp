#include "tandem/data/shards.hpp"

#include <algorithm>

#include "tandem/core/error.hpp"
#include "tandem/io/h5.hpp"

namespace tandem::data {
namespace {

const char* const kSplits[] = {"train", "test", "val"};

// The arrays of /SPLIT/x and /SPLIT/y.
std::vector<std::string> arrays_of(const io::H5File& f, const std::string& split) {
  auto out = f.arrays("/" + split + "/x");
  for (auto& y : f.arrays("/" + split + "/y")) out.push_back(std::move(y));
  return out;
}

// Rows [begin, end) of `object`, in its stored type, written contiguous to `to`.
template <class T>
void copy_rows(const io::H5File& from, io::H5File& to, const std::string& object, std::vector<int64_t> dims,
               int64_t begin, int64_t end) {
  int64_t width = 1;
  for (size_t d = 1; d < dims.size(); ++d) width *= dims[d];
  std::vector<T> rows(static_cast<size_t>((end - begin) * width));
  if (end > begin) from.read(object, rows.data(), begin, end - begin);
  dims[0] = end - begin;
  to.write(object, dims, rows.data());
  if (from.has_attr(object, "scale")) to.set_attr(object, "scale", from.attr_double(object, "scale"));
}

void copy_array(const io::H5File& from, io::H5File& to, const std::string& object, int64_t begin,
                int64_t end) {
  const auto info = from.info(object);
  switch (info.type) {
    case io::DType::kUint8: copy_rows<uint8_t>(from, to, object, info.dims, begin, end); break;
    case io::DType::kFloat32: copy_rows<float>(from, to, object, info.dims, begin, end); break;
    case io::DType::kInt32: copy_rows<int32_t>(from, to, object, info.dims, begin, end); break;
    default:
      TANDEM_USAGE_CHECK(false, "'", object, "' in '", from.path(),
                         "' is not uint8, float32 or int32; it cannot be sharded");
  }
}

void copy_root_attributes(const io::H5File& from, io::H5File& to) {
  for (const char* name : {"format", "source"})
    if (from.has_attr("/", name)) to.set_attr("/", name, from.attr_string("/", name));
  if (from.has_attr("/", "version")) to.set_attr("/", "version", from.attr_int("/", "version"));
  if (from.has_attr("/", "classes")) to.set_attr("/", "classes", from.attr_strings("/", "classes"));
}

}  // namespace

std::vector<std::string> write_shards(const std::string& from, int64_t shards, const std::string& prefix) {
  TANDEM_USAGE_CHECK(shards >= 1, "--shards must be >= 1, got ", shards);
  const io::H5File in(from, io::H5File::Mode::kRead);
  std::vector<std::string> splits;
  for (const char* s : kSplits)
    if (in.exists(std::string("/") + s + "/x")) splits.push_back(s);
  TANDEM_USAGE_CHECK(!splits.empty(), "'", from,
                     "' has no /train/x: not a tandem dataset (datasets/README.md)");
  for (const auto& s : splits) {
    const int64_t rows = in.info(arrays_of(in, s)[0]).dims[0];
    TANDEM_USAGE_CHECK(rows >= shards, "/", s, " of '", from, "' has ", rows, " rows, fewer than --shards ",
                       shards, "; every shard needs a row of every split");
  }
  const int digits = static_cast<int>(std::to_string(shards - 1).size());
  std::vector<std::string> paths;
  for (int64_t k = 0; k < shards; ++k) {
    std::string number = std::to_string(k);
    number.insert(0, static_cast<size_t>(digits) - number.size(), '0');
    paths.push_back(prefix + "-" + number + ".h5");
    io::write_atomically(paths.back(), [&](io::H5File& out) {
      copy_root_attributes(in, out);
      for (const auto& s : splits)
        for (const auto& object : arrays_of(in, s)) {
          const int64_t n = in.info(object).dims[0];
          copy_array(in, out, object, k * n / shards, (k + 1) * n / shards);
        }
    });
  }
  return paths;
}

}  // namespace tandem::data
