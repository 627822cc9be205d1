#include "tandem/data/dataset.hpp"

#include <algorithm>
#include <cstring>

#include "tandem/core/error.hpp"
#include "tandem/io/h5.hpp"
#include "tandem/io/row_reader.hpp"
#include "tandem/tensor/kernels.hpp"

namespace tandem::data {
namespace {

// Reads `rows` rows of the array at `object` into a field.
Field read_field(const io::H5File& f, const std::string& object, const std::string& name, bool input,
                 int64_t limit, bool stream) {
  const auto info = f.info(object);
  const std::string& path = f.path();
  Field field;
  field.name = name;
  if (input) {
    TANDEM_CHECK(info.dims.size() >= 2, "'", object, "' in '", path, "' must be [N, ...], got rank ",
                 info.dims.size());
    TANDEM_CHECK(info.type == io::DType::kUint8 || info.type == io::DType::kFloat32, "'", object, "' in '",
                 path, "' must be uint8 (with a 'scale' attribute) or float32");
    field.type = info.type == io::DType::kUint8 ? Field::Type::kUint8 : Field::Type::kFloat32;
  } else if (info.dims.size() == 1) {
    TANDEM_CHECK(info.type == io::DType::kInt32 || info.type == io::DType::kUint8, "'", object, "' in '",
                 path, "' is [N]: it must hold int32 class indices (dense targets are float32 [N, K])");
    field.type = Field::Type::kInt32;
  } else {
    TANDEM_CHECK(info.dims.size() == 2 && info.type == io::DType::kFloat32, "'", object, "' in '", path,
                 "' must be int32 class indices [N] or float32 targets [N, K], got rank ", info.dims.size());
    field.type = Field::Type::kFloat32;
  }
  field.shape = Shape(std::vector<int64_t>(info.dims.begin() + 1, info.dims.end()));
  const int64_t n = std::min(limit, info.dims[0]), numel = n * field.width();
  if (field.type == Field::Type::kUint8)
    field.scale = f.has_attr(object, "scale") ? static_cast<float>(f.attr_double(object, "scale")) : 1.0f;
  if (input && stream) {
    field.reader = std::make_shared<io::RowReader>(f.path(), object);
    return field;
  }
  switch (field.type) {
    case Field::Type::kUint8:
      field.u8.resize(numel);
      if (n > 0) f.read(object, field.u8.data(), 0, n);
      break;
    case Field::Type::kFloat32:
      field.f32.resize(numel);
      if (n > 0) f.read(object, field.f32.data(), 0, n);
      break;
    case Field::Type::kInt32:
      field.i32.resize(n);
      if (n > 0) f.read(object, field.i32.data(), 0, n);
      for (int64_t i = 0; i < n; ++i)
        TANDEM_CHECK(field.i32[i] >= 0, "'", object, "' in '", path, "' row ", i, " has negative label ",
                     field.i32[i]);
      break;
  }
  return field;
}

// /SPLIT/x (or y) as one field, or a group of named fields.
std::vector<Field> read_fields(const io::H5File& f, const std::string& object, bool input, int64_t limit,
                               bool stream) {
  std::vector<Field> out;
  if (!f.is_group(object)) {
    out.push_back(read_field(f, object, "", input, limit, stream));
    return out;
  }
  for (const auto& name : f.members(object))
    out.push_back(read_field(f, object + "/" + name, name, input, limit, stream));
  TANDEM_CHECK(!out.empty(), "group '", object, "' in '", f.path(),
               "' is empty; it should hold one array per ", input ? "model input" : "model output");
  return out;
}

// Copies the rows idx[0..n) (or [begin, begin + n)) of a field of `width` values per row.
template <class T, class Copy>
void copy_rows(const T* data, int64_t width, const int64_t* idx, int64_t begin, int64_t n, Copy copy) {
  if (!idx) {
    copy(data + begin * width, 0, n * width);
    return;
  }
  for (int64_t i = 0; i < n; ++i) copy(data + idx[i] * width, i * width, width);
}

}  // namespace

int64_t Dataset::input_bytes(const std::string& path, const std::string& split, int64_t rows) {
  io::H5File f(path, io::H5File::Mode::kRead);
  const std::string xs = "/" + split + "/x";
  std::vector<std::string> arrays{xs};
  if (f.exists(xs) && f.is_group(xs)) {
    arrays.clear();
    for (const auto& name : f.members(xs)) arrays.push_back(xs + "/" + name);
  }
  int64_t bytes = 0;
  for (const auto& a : arrays) {
    if (!f.exists(a)) continue;  // load() names what is missing
    const auto info = f.info(a);
    if (info.dims.empty()) continue;
    int64_t row = info.type == io::DType::kUint8 ? 1 : 4;
    for (size_t d = 1; d < info.dims.size(); ++d) row *= info.dims[d];
    bytes += row * std::min(rows > 0 ? rows : info.dims[0], info.dims[0]);
  }
  return bytes;
}

Dataset Dataset::load(const std::string& path, const std::string& split, int64_t limit, DataMode mode,
                      int64_t memory_budget_mb) {
  if (mode == DataMode::kAuto)
    mode = input_bytes(path, split, limit) > memory_budget_mb * (int64_t{1} << 20) ? DataMode::kStream
                                                                                   : DataMode::kMemory;
  const bool stream = mode == DataMode::kStream;
  io::H5File f(path, io::H5File::Mode::kRead);
  const std::string xs = "/" + split + "/x", ys = "/" + split + "/y";
  TANDEM_CHECK(f.exists(xs), "dataset '", path, "' has no '", xs, "'; a tandem dataset holds /", split,
               "/x and /", split, "/y (see datasets/README.md; convert with 'tandem convert')");
  TANDEM_CHECK(f.exists(ys), "dataset '", path, "' has no '", ys, "' (targets for ", xs, ")");
  Dataset d;
  d.path_ = path;
  d.split_ = split;
  const int64_t keep = limit > 0 ? limit : INT64_MAX;
  d.x_ = read_fields(f, xs, true, keep, stream);
  d.y_ = read_fields(f, ys, false, keep, stream);
  // Every array must have the same number of rows (before the limit).
  const int64_t rows = f.info(d.where(d.x_[0], true)).dims[0];
  for (const auto* fields : {&d.x_, &d.y_})
    for (const auto& field : *fields) {
      const std::string object = d.where(field, fields == &d.x_);
      const int64_t r = f.info(object).dims[0];
      TANDEM_CHECK(r == rows, "'", path, "': ", d.where(d.x_[0], true), " has ", rows, " rows but ", object,
                   " has ", r, "; every sample needs exactly one target");
    }
  d.n_ = std::min(keep, rows);
  if (!d.has_labels()) d.no_labels_.assign(d.n_, 0);
  if (f.has_attr("/", "classes")) {
    d.class_names_ = f.attr_strings("/", "classes");
    d.classes_ = static_cast<int64_t>(d.class_names_.size());
  }
  return d;
}

std::string Dataset::where(const Field& f, bool input) const {
  return "/" + split_ + (input ? "/x" : "/y") + (f.name.empty() ? "" : "/" + f.name);
}

int Dataset::find_input(const std::string& name) const {
  for (size_t i = 0; i < x_.size(); ++i)
    if (x_[i].name == name) return static_cast<int>(i);
  return -1;
}

int Dataset::find_target(const std::string& name) const {
  for (size_t i = 0; i < y_.size(); ++i)
    if (y_[i].name == name) return static_cast<int>(i);
  return -1;
}

bool Dataset::has_labels() const {
  return std::any_of(y_.begin(), y_.end(), [](const Field& f) { return f.is_labels(); });
}

const std::vector<int32_t>& Dataset::labels(int target) const {
  if (target >= 0) {
    TANDEM_CHECK(y_[target].is_labels(), where(y_[target], false), " holds float targets, not class indices");
    return y_[target].i32;
  }
  for (const auto& f : y_)
    if (f.is_labels()) return f.i32;
  return no_labels_;
}

int32_t Dataset::max_label(int target) const {
  const auto& y = labels(target);
  return y.empty() ? -1 : *std::max_element(y.begin(), y.end());
}

void Dataset::input_rows(int i, const int64_t* idx, int64_t begin, int64_t n, float* out) const {
  const Field& f = x_[i];
  if (f.reader) {
    stream_rows(f, idx, begin, n, out);
    return;
  }
  if (f.type == Field::Type::kUint8)
    copy_rows(f.u8.data(), f.width(), idx, begin, n, [&](const uint8_t* src, int64_t at, int64_t count) {
      kernels::u8_to_float(src, out + at, count, f.scale);
    });
  else
    copy_rows(f.f32.data(), f.width(), idx, begin, n,
              [&](const float* src, int64_t at, int64_t count) { kernels::copy(src, out + at, count); });
}

// The rows from the file: a subset's rows through its map, uint8 through a staging copy.
void Dataset::stream_rows(const Field& f, const int64_t* idx, int64_t begin, int64_t n, float* out) const {
  if (n <= 0) return;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t row = idx ? idx[i] : begin + i;
    TANDEM_CHECK(row >= 0 && row < n_, "row ", row, " outside the ", n_, " rows of ", where(f, true));
  }
  const int64_t* rows = idx;
  if (!file_rows_.empty()) {
    mapped_.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) mapped_[i] = file_rows_[idx ? idx[i] : begin + i];
    rows = mapped_.data();
  }
  void* to = out;
  if (f.type == Field::Type::kUint8) {
    raw_.resize(static_cast<size_t>(n * f.width()));
    to = raw_.data();
  }
  if (rows)
    f.reader->read(rows, n, to);
  else
    f.reader->read_range(begin, n, to);
  if (f.type == Field::Type::kUint8) kernels::u8_to_float(raw_.data(), out, n * f.width(), f.scale);
}

void Dataset::target_rows(int j, const int64_t* idx, int64_t begin, int64_t n, int32_t* labels,
                          float* values) const {
  const Field& f = y_[j];
  if (f.is_labels())
    copy_rows(f.i32.data(), 1, idx, begin, n, [&](const int32_t* src, int64_t at, int64_t count) {
      std::memcpy(labels + at, src, static_cast<size_t>(count) * sizeof(int32_t));
    });
  else
    copy_rows(f.f32.data(), f.width(), idx, begin, n,
              [&](const float* src, int64_t at, int64_t count) { kernels::copy(src, values + at, count); });
}

void Dataset::gather(const int64_t* idx, int64_t n, float* x, int32_t* y) const {
  input_rows(0, idx, 0, n, x);
  const auto& l = labels();
  for (int64_t i = 0; i < n; ++i) y[i] = l[idx[i]];
}

void Dataset::rows(int64_t begin, int64_t n, float* x, int32_t* y) const {
  input_rows(0, nullptr, begin, n, x);
  std::memcpy(y, labels().data() + begin, static_cast<size_t>(n) * sizeof(int32_t));
}

Dataset Dataset::with_own_readers() const {
  Dataset d = *this;
  for (auto& f : d.x_)
    if (f.reader) f.reader = std::make_shared<io::RowReader>(f.reader->path(), f.reader->object());
  return d;
}

Dataset Dataset::subset(const std::vector<int64_t>& ids) const {
  Dataset d;
  d.path_ = path_;
  d.split_ = split_;
  d.classes_ = classes_;
  d.n_ = static_cast<int64_t>(ids.size());
  for (int64_t r : ids) TANDEM_CHECK(r >= 0 && r < n_, "subset row ", r, " outside [0, ", n_, ")");
  auto pick = [&](const Field& f) {
    Field g{f.name, f.type, f.shape, f.scale, {}, {}, {}, f.reader};
    const int64_t w = f.width();
    auto take = [&](const auto& from, auto& to) {
      using T = typename std::decay_t<decltype(from)>::value_type;
      if (from.empty()) return;
      to.resize(ids.size() * static_cast<size_t>(w));
      copy_rows(from.data(), w, ids.data(), 0, d.n_, [&](const T* src, int64_t at, int64_t count) {
        std::memcpy(to.data() + at, src, static_cast<size_t>(count) * sizeof(T));
      });
    };
    take(f.u8, g.u8);
    take(f.f32, g.f32);
    take(f.i32, g.i32);
    return g;
  };
  if (streamed())  // the rows stay in the file: a map to them
    for (int64_t r : ids) d.file_rows_.push_back(file_rows_.empty() ? r : file_rows_[r]);
  for (const auto& f : x_) d.x_.push_back(pick(f));
  for (const auto& f : y_) d.y_.push_back(pick(f));
  if (!d.has_labels()) d.no_labels_.assign(d.n_, 0);
  return d;
}

}  // namespace tandem::data
