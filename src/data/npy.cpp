#include "tandem/data/npy.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>

#include "tandem/core/error.hpp"

namespace tandem::data {
namespace {

// The value of 'key' in the header's Python dict literal, up to the next top-level comma.
std::string dict_value(const std::string& header, const std::string& key, const std::string& path) {
  const auto at = header.find("'" + key + "'");
  TANDEM_USAGE_CHECK(at != std::string::npos, "'", path, "' is not a .npy file: its header lacks '", key,
                     "'");
  size_t i = header.find(':', at) + 1;
  while (i < header.size() && header[i] == ' ') ++i;
  if (header[i] == '(') return header.substr(i, header.find(')', i) - i + 1);
  const size_t end = header.find_first_of(",}", i);
  return header.substr(i, end - i);
}

std::vector<int64_t> parse_shape(const std::string& text, const std::string& path) {
  std::vector<int64_t> shape;
  for (size_t i = 1; i < text.size();) {
    while (i < text.size() && (text[i] == ' ' || text[i] == ',')) ++i;
    if (i >= text.size() || text[i] == ')') break;
    char* end = nullptr;
    const long long v = std::strtoll(text.c_str() + i, &end, 10);
    TANDEM_USAGE_CHECK(end != text.c_str() + i && v >= 0, "'", path, "': cannot read its shape ", text);
    shape.push_back(v);
    i = static_cast<size_t>(end - text.c_str());
  }
  return shape;
}

// "(3, 0)", for messages.
std::string shape_text(const NpyArray& a) {
  std::string out = "(";
  for (size_t i = 0; i < a.shape.size(); ++i) out += (i ? ", " : "") + std::to_string(a.shape[i]);
  return out + (a.shape.size() == 1 ? ",)" : ")");
}

bool little_endian_host() {
  const uint16_t one = 1;
  char first;
  std::memcpy(&first, &one, 1);
  return first == 1;
}

}  // namespace

int64_t NpyArray::count() const {
  int64_t n = 1;
  for (const int64_t d : shape) n *= d;
  return n;
}

double NpyArray::at(int64_t i) const {
  char b[8];
  std::memcpy(b, bytes.data() + i * item, static_cast<size_t>(item));
  if (swap) std::reverse(b, b + item);
  auto get = [&b](auto v) {
    std::memcpy(&v, b, sizeof v);
    return static_cast<double>(v);
  };
  switch (kind) {
    case 'b': return b[0] != 0 ? 1.0 : 0.0;
    case 'f': return item == 4 ? get(float{}) : get(double{});
    case 'u':
      return item == 1   ? get(uint8_t{})
             : item == 2 ? get(uint16_t{})
             : item == 4 ? get(uint32_t{})
                         : get(uint64_t{});
    default:
      return item == 1   ? get(int8_t{})
             : item == 2 ? get(int16_t{})
             : item == 4 ? get(int32_t{})
                         : get(int64_t{});
  }
}

NpyArray read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  TANDEM_USAGE_CHECK(in, "cannot open '", path, "'");
  char magic[8] = {};
  in.read(magic, 8);
  TANDEM_USAGE_CHECK(in && std::memcmp(magic, "\x93NUMPY", 6) == 0, "'", path,
                     "' is not a .npy file (save arrays with numpy.save)");
  const int major = static_cast<unsigned char>(magic[6]);
  TANDEM_USAGE_CHECK(major >= 1 && major <= 3, "'", path, "': .npy format version ", major, " is not known");
  unsigned char len_bytes[4] = {};
  in.read(reinterpret_cast<char*>(len_bytes), major == 1 ? 2 : 4);
  const uint32_t len =
      len_bytes[0] | (len_bytes[1] << 8) | (len_bytes[2] << 16) | (uint32_t{len_bytes[3]} << 24);
  // Sizes the file declares are checked against the bytes it holds before anything is allocated.
  const int64_t start = in.tellg();
  in.seekg(0, std::ios::end);
  const int64_t file_bytes = in.tellg();
  in.seekg(start);
  TANDEM_USAGE_CHECK(in && len <= file_bytes - start, "'", path, "' ends inside its header (", len,
                     " bytes declared, ", file_bytes - start, " left in the file)");
  std::string header(len, '\0');
  in.read(header.data(), len);
  TANDEM_USAGE_CHECK(in, "'", path, "' ends inside its header");
  const std::string descr = dict_value(header, "descr", path);
  TANDEM_USAGE_CHECK(dict_value(header, "fortran_order", path) == "False", "'", path,
                     "' is in Fortran order; save it with numpy.save(f, numpy.ascontiguousarray(a))");
  NpyArray a;
  a.shape = parse_shape(dict_value(header, "shape", path), path);
  // descr is a quoted string such as '<f4': byte order, kind, bytes.
  TANDEM_USAGE_CHECK(descr.size() >= 5 && descr.front() == '\'', "'", path, "': dtype ", descr,
                     " is not a plain numeric type (structured arrays are not supported)");
  const char order = descr[1];
  a.kind = descr[2];
  a.item = std::atoi(descr.c_str() + 3);
  const bool known =
      (a.kind == 'b' && a.item == 1) || (a.kind == 'f' && (a.item == 4 || a.item == 8)) ||
      ((a.kind == 'i' || a.kind == 'u') && (a.item == 1 || a.item == 2 || a.item == 4 || a.item == 8));
  TANDEM_USAGE_CHECK(known, "'", path, "': dtype ", descr,
                     " is not supported (bool, int8-64, uint8-64, float32, float64; convert with "
                     "a.astype(numpy.float32))");
  a.swap = a.item > 1 && ((order == '>' && little_endian_host()) || (order == '<' && !little_endian_host()));
  // The shape's element count, without overflowing (the product of its non-zero dimensions is
  // bounded too: rows and row widths are formed from it); its bytes must fit in the file.
  const int64_t left = file_bytes - start - len;
  int64_t count = 1;
  for (const int64_t d : a.shape) {
    if (d == 0) continue;
    TANDEM_USAGE_CHECK(count <= (int64_t{1} << 60) / d, "'", path, "': shape ",
                       dict_value(header, "shape", path), " has more elements than any file holds");
    count *= d;
  }
  if (std::find(a.shape.begin(), a.shape.end(), 0) != a.shape.end()) count = 0;
  TANDEM_USAGE_CHECK(count <= left / a.item, "'", path, "' is shorter than its shape ",
                     dict_value(header, "shape", path), " says (", left, " bytes of data)");
  const auto size = static_cast<size_t>(count * a.item);
  a.bytes.resize(size);
  in.read(a.bytes.data(), static_cast<std::streamsize>(size));
  TANDEM_USAGE_CHECK(in && static_cast<size_t>(in.gcount()) == size, "'", path,
                     "' is shorter than its shape ", dict_value(header, "shape", path), " says");
  return a;
}

namespace {

// One split from its x and y arrays into t (the first call fixes the shapes and target kind).
void add_split(Table& t, const std::string& name, const std::string& x_path, const std::string& y_path) {
  const NpyArray x = read_npy(x_path), y = read_npy(y_path);
  TANDEM_USAGE_CHECK(!x.shape.empty() && !y.shape.empty() && x.shape[0] == y.shape[0], "'", x_path, "' has ",
                     x.shape.empty() ? 0 : x.shape[0], " rows but '", y_path, "' ",
                     y.shape.empty() ? 0 : y.shape[0]);
  const std::vector<int64_t> sample(x.shape.begin() + 1, x.shape.end());
  const bool labels = (y.kind == 'i' || y.kind == 'u') && y.shape.size() == 1;
  int64_t y_row = 1;  // elements per row (also when there are no rows)
  for (size_t d = 1; d < y.shape.size(); ++d) y_row *= y.shape[d];
  const int64_t width = labels ? 0 : y_row;
  int64_t x_row = 1;
  for (const int64_t d : sample) x_row *= d;
  TANDEM_USAGE_CHECK(x_row > 0 && (labels || width > 0), "'", x_row > 0 ? y_path : x_path, "' has shape ",
                     shape_text(x_row > 0 ? y : x),
                     ": a sample needs at least one value (no dimension after the first may be 0)");
  if (name == "train") {
    t.sample_shape = sample.empty() ? std::vector<int64_t>{1} : sample;
    t.target_width = width;
  }
  TANDEM_USAGE_CHECK(
      (sample.empty() ? std::vector<int64_t>{1} : sample) == t.sample_shape && width == t.target_width, "'",
      x_path, "' and '", y_path, "' do not match the training arrays' sample shape or targets");
  TableSplit& s = t.splits[name];
  s.rows = x.shape[0];
  s.x.resize(static_cast<size_t>(x.count()));
  for (int64_t i = 0; i < x.count(); ++i) {
    s.x[i] = static_cast<float>(x.at(i));
    TANDEM_USAGE_CHECK(std::isfinite(s.x[i]), "'", x_path, "' element ", i, " is ", x.at(i),
                       ": not a finite float32");
  }
  for (int64_t i = 0; i < y.count(); ++i) {
    const double v = y.at(i);
    if (!labels) {
      s.targets.push_back(static_cast<float>(v));
      continue;
    }
    TANDEM_USAGE_CHECK(v >= 0 && v < 1e6, "'", y_path, "' element ", i, " is ", v,
                       ": class indices run from 0 (at most 999,999)");
    s.labels.push_back(static_cast<int32_t>(v));
  }
}

}  // namespace

Table npy_table(const NpyOptions& o) {
  TANDEM_USAGE_CHECK(!o.x.empty() && !o.y.empty(), "convert npy needs --x X.npy and --y Y.npy");
  TANDEM_USAGE_CHECK(o.test_x.empty() == o.test_y.empty(), "give both --test-x and --test-y, or neither");
  TANDEM_USAGE_CHECK(!o.test_x.empty() != (o.test_fraction > 0),
                     "convert npy needs the test split: give --test-x and --test-y, or --test-fraction F");
  Table t;
  t.source = o.x;
  add_split(t, "train", o.x, o.y);
  if (!o.test_x.empty()) add_split(t, "test", o.test_x, o.test_y);
  if (t.target_width == 0) {
    int32_t top = 0;
    for (const auto& [name, s] : t.splits)
      for (const int32_t y : s.labels) top = std::max(top, y);
    for (int32_t c = 0; c <= top; ++c) t.classes.push_back(std::to_string(c));
  }
  if (o.test_fraction > 0) hold_out(t, o.test_fraction, o.seed);
  return t;
}

}  // namespace tandem::data
