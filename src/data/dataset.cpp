#include "tandem/data/dataset.hpp"

#include <algorithm>
#include <cstring>

#include "finite.hpp"
#include "tandem/core/error.hpp"
#include "tandem/io/row_reader.hpp"
#include "tandem/tensor/kernels.hpp"

namespace tandem::data {
namespace {

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
  if (n <= 0) return;  // out may be null (the data() of an empty vector): nothing to copy to
  const Field& f = x_[i];
  if (f.reader) {
    stream_rows(f, idx, begin, n, out);
    return;
  }
  if (f.node_copy && n > 0) idx = stored_rows(idx, begin, n);  // a subset's rows through its map
  if (f.type == Field::Type::kUint8)
    copy_rows(f.u8_data(), f.width(), idx, begin, n, [&](const uint8_t* src, int64_t at, int64_t count) {
      kernels::u8_to_float(src, out + at, count, f.scale);
    });
  else
    copy_rows(f.f32_data(), f.width(), idx, begin, n,
              [&](const float* src, int64_t at, int64_t count) { kernels::copy(src, out + at, count); });
}

// The stored rows of rows idx[0..n) (or [begin, begin + n)): idx itself, or null for the
// range, unless this is a subset of stored rows (streamed or node-cached).
const int64_t* Dataset::stored_rows(const int64_t* idx, int64_t begin, int64_t n) const {
  if (file_rows_.empty()) return idx;
  mapped_.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) mapped_[i] = file_rows_[idx ? idx[i] : begin + i];
  return mapped_.data();
}

// The rows from the file: a subset's rows through its map, uint8 through a staging copy.
void Dataset::stream_rows(const Field& f, const int64_t* idx, int64_t begin, int64_t n, float* out) const {
  if (n <= 0) return;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t row = idx ? idx[i] : begin + i;
    TANDEM_ASSERT(row >= 0 && row < n_, "row ", row, " outside the ", n_, " rows of ", where(f, true));
  }
  const int64_t* rows = stored_rows(idx, begin, n);
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
  if (f.type == Field::Type::kFloat32 && check_finite_)
    require_finite(out, n, f.width(), [&](int64_t i) {
      const auto [file, row] = f.reader->file_of(rows ? rows[i] : begin + i);
      return RowAt{file, where(f, true), row};
    });
}

void Dataset::target_rows(int j, const int64_t* idx, int64_t begin, int64_t n, int32_t* labels,
                          float* values) const {
  if (n <= 0) return;  // labels and values may be null: nothing to copy to
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
    if (f.reader) f.reader = std::make_shared<io::RowReader>(f.reader->paths(), f.reader->object());
  return d;
}

Dataset Dataset::subset(const std::vector<int64_t>& ids) const {
  Dataset d;
  d.path_ = path_;
  d.split_ = split_;
  d.classes_ = classes_;
  d.check_finite_ = check_finite_;
  d.n_ = static_cast<int64_t>(ids.size());
  for (int64_t r : ids) TANDEM_ASSERT(r >= 0 && r < n_, "subset row ", r, " outside [0, ", n_, ")");
  auto pick = [&](const Field& f) {
    Field g{f.name, f.type, f.shape, f.scale, {}, {}, {}, f.reader, f.node_copy};
    const int64_t w = f.width();
    auto take = [&](const auto& from, auto& to) {
      using T = typename std::decay_t<decltype(from)>::value_type;
      const size_t values = ids.size() * static_cast<size_t>(w);
      if (from.empty() || values == 0) return;  // no memcpy to the null data() of an empty vector
      to.resize(values);
      copy_rows(from.data(), w, ids.data(), 0, d.n_, [&](const T* src, int64_t at, int64_t count) {
        std::memcpy(to.data() + at, src, static_cast<size_t>(count) * sizeof(T));
      });
    };
    take(f.u8, g.u8);
    take(f.f32, g.f32);
    take(f.i32, g.i32);
    return g;
  };
  if (streamed() || node_cached())  // the rows stay where they are: a map to them
    for (int64_t r : ids) d.file_rows_.push_back(file_rows_.empty() ? r : file_rows_[r]);
  for (const auto& f : x_) d.x_.push_back(pick(f));
  for (const auto& f : y_) d.y_.push_back(pick(f));
  if (!d.has_labels()) d.no_labels_.assign(d.n_, 0);
  return d;
}

}  // namespace tandem::data
