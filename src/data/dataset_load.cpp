// Dataset::load: the arrays of a split, from one file or from several of the same layout
// (shards, read as one: their rows follow each other in the order of the files), validated,
// read into memory or opened for streaming.
#include <algorithm>
#include <memory>
#include <type_traits>

#include "finite.hpp"
#include "tandem/core/error.hpp"
#include "tandem/core/memory.hpp"
#include "tandem/data/dataset.hpp"
#include "tandem/dist/comm.hpp"
#include "tandem/io/h5.hpp"
#include "tandem/io/row_reader.hpp"

namespace tandem::data {
namespace {

using Files = std::vector<std::unique_ptr<io::H5File>>;

// The type and per-sample shape of the array at `object` in one file, checked for its role.
Field describe(const io::H5File& f, const std::string& object, bool input) {
  const auto info = f.info(object);
  const std::string& path = f.path();
  Field field;
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
  TANDEM_CHECK(field.type == Field::Type::kInt32 || field.shape.numel() > 0, "'", object, "' in '", path,
               "' has shape ", Shape(info.dims).str(),
               ": a sample needs at least one value (no dimension after the first may be 0)");
  if (field.type == Field::Type::kUint8)
    field.scale = f.has_attr(object, "scale") ? static_cast<float>(f.attr_double(object, "scale")) : 1.0f;
  return field;
}

// Rows [0, n) of the array at `object`, the files' rows one after the other. Float rows are
// checked to be finite (unless check_finite is off) slab by slab, each while it is still in
// cache from the read: the check then costs little more than the read.
template <class T>
void read_rows(const Files& files, const std::string& object, int64_t n, int64_t width, std::vector<T>& out,
               bool check_finite) {
  constexpr int64_t kSlabBytes = int64_t{2} << 20;
  // A damaged file can claim any shape: the size is checked before it is multiplied out.
  const int64_t bytes = checked_product({n, width, static_cast<int64_t>(sizeof(T))});
  allocate_or_explain(bytes,
                      "the " + std::to_string(n) + " rows of '" + object + "' in '" + files[0]->path() + "'",
                      "load fewer rows (--train-limit, --test-limit) or stream them (--data-mode stream); a "
                      "file that should not be this large is damaged: convert it again",
                      [&] { out.resize(static_cast<size_t>(n * width)); });
  const bool check = std::is_same_v<T, float> && check_finite;
  const int64_t slab = check ? std::max<int64_t>(1, kSlabBytes / std::max<int64_t>(1, width * 4)) : INT64_MAX;
  int64_t at = 0;
  for (const auto& f : files) {
    const int64_t rows = std::min(n - at, f->info(object).dims[0]);
    for (int64_t r = 0; r < rows; r += slab) {
      const int64_t count = std::min(slab, rows - r);
      T* to = out.data() + (at + r) * width;
      f->read(object, to, r, count);
      if constexpr (std::is_same_v<T, float>)
        if (check)
          require_finite(to, count, width, [&](int64_t row) { return RowAt{f->path(), object, r + row}; });
    }
    at += std::max<int64_t>(rows, 0);
  }
}

// The first `limit` rows of the array at `object` (all of them: limit = INT64_MAX) into a
// field, or, streamed, a reader of it.
// Rows [0, n) of an input into one block per node: the node's ranks each read a part of the
// rows, then wait for each other.
// Each rank checks the float rows it read (a rank that throws ends the job: main aborts it).
std::shared_ptr<uint8_t> read_into_node_block(const std::vector<std::string>& paths,
                                              const std::string& object, int64_t n, dist::Comm& comm,
                                              bool check_finite) {
  io::RowReader reader(paths, object);
  auto block = comm.node_shared(std::max<int64_t>(n * reader.row_bytes(), 1));
  const int64_t begin = n * block.part / block.parts, end = n * (block.part + 1) / block.parts;
  uint8_t* mine = block.data.get() + begin * reader.row_bytes();
  reader.read_range(begin, end - begin, mine);
  if (check_finite && reader.type() == io::DType::kFloat32 && end > begin)
    require_finite(reinterpret_cast<const float*>(mine), end - begin, reader.row_bytes() / 4,
                   [&](int64_t row) {
                     const auto [file, at] = reader.file_of(begin + row);
                     return RowAt{file, object, at};
                   });
  comm.node_barrier();
  return block.data;
}

Field read_field(const Files& files, const std::vector<std::string>& paths, const std::string& object,
                 const std::string& name, bool input, int64_t limit, bool stream, dist::Comm* node_cache,
                 bool check_finite) {
  Field field = describe(*files[0], object, input);
  field.name = name;
  int64_t total = 0;
  for (const auto& f : files) {
    const Field other = describe(*f, object, input);
    TANDEM_CHECK(other.type == field.type && other.shape == field.shape && other.scale == field.scale, "'",
                 object, "' in '", f->path(), "' differs in type, sample shape or scale from '", paths[0],
                 "'; the files of one dataset must share one layout");
    total += f->info(object).dims[0];
  }
  if (input && stream) {
    field.reader = std::make_shared<io::RowReader>(paths, object);
    return field;
  }
  const int64_t n = std::min(limit, total);
  if (input && node_cache) {
    field.node_copy = read_into_node_block(paths, object, n, *node_cache, check_finite);
    return field;
  }
  switch (field.type) {
    case Field::Type::kUint8: read_rows(files, object, n, field.width(), field.u8, false); break;
    case Field::Type::kFloat32: read_rows(files, object, n, field.width(), field.f32, check_finite); break;
    case Field::Type::kInt32:
      read_rows(files, object, n, 1, field.i32, false);
      for (int64_t i = 0; i < n; ++i)
        TANDEM_CHECK(field.i32[i] >= 0, "'", object, "' of '", paths[0], "' row ", i, " has negative label ",
                     field.i32[i]);
      break;
  }
  return field;
}

// /SPLIT/x (or y) as one field, or a group of named fields (the first file's members).
std::vector<Field> read_fields(const Files& files, const std::vector<std::string>& paths,
                               const std::string& object, bool input, int64_t limit, bool stream,
                               dist::Comm* node_cache, bool check_finite) {
  std::vector<Field> out;
  if (!files[0]->is_group(object)) {
    out.push_back(read_field(files, paths, object, "", input, limit, stream, node_cache, check_finite));
    return out;
  }
  for (const auto& name : files[0]->members(object))
    out.push_back(
        read_field(files, paths, object + "/" + name, name, input, limit, stream, node_cache, check_finite));
  TANDEM_CHECK(!out.empty(), "group '", object, "' in '", paths[0],
               "' is empty; it should hold one array per ", input ? "model input" : "model output");
  return out;
}

// The samples in all files. Every array of the split must have one row per sample, in every
// file: checked before anything is read, which a damaged shape would otherwise size.
int64_t count_rows(const Files& files, const std::string& xs, const std::string& ys) {
  const auto inputs = files[0]->arrays(xs), targets = files[0]->arrays(ys);
  int64_t rows = 0;
  if (inputs.empty()) return rows;  // read_fields names what is missing
  for (const auto& f : files) {
    const auto first = f->info(inputs[0]).dims;
    if (first.empty()) continue;  // describe() explains
    for (const auto* objects : {&inputs, &targets})
      for (const auto& object : *objects) {
        const auto dims = f->info(object).dims;
        TANDEM_CHECK(dims.empty() || dims[0] == first[0], "'", f->path(), "': ", inputs[0], " has ", first[0],
                     " rows but ", object, " has ", dims[0], "; every sample needs exactly one target");
      }
    rows += first[0];
  }
  return rows;
}

Files open_all(const std::vector<std::string>& paths) {
  Files files;
  for (const auto& p : paths) files.push_back(std::make_unique<io::H5File>(p, io::H5File::Mode::kRead));
  return files;
}

}  // namespace

int64_t Dataset::input_bytes(const std::string& path, const std::string& split, int64_t rows) {
  const std::string xs = "/" + split + "/x";
  int64_t bytes = 0, left = rows > 0 ? rows : INT64_MAX;
  for (const auto& p : io::dataset_files(path)) {
    io::H5File f(p, io::H5File::Mode::kRead);
    int64_t file_rows = 0;
    for (const auto& a : f.arrays(xs)) {  // none when missing: load() names what is
      const auto info = f.info(a);
      if (info.dims.empty()) continue;
      int64_t row = info.type == io::DType::kUint8 ? 1 : 4;
      for (size_t d = 1; d < info.dims.size(); ++d) row *= info.dims[d];
      file_rows = std::min(left, info.dims[0]);
      bytes += row * file_rows;
    }
    left -= file_rows;
  }
  return bytes;
}

Dataset Dataset::load(const std::string& path, const std::string& split, int64_t limit, DataMode mode,
                      int64_t memory_budget_mb, dist::Comm* node_cache, bool check_finite) {
  if (mode == DataMode::kAuto)
    mode = input_bytes(path, split, limit) > memory_budget_mb * (int64_t{1} << 20) ? DataMode::kStream
                                                                                   : DataMode::kMemory;
  const auto paths = io::dataset_files(path);
  const Files files = open_all(paths);
  const std::string xs = "/" + split + "/x", ys = "/" + split + "/y";
  for (const auto& f : files) {
    TANDEM_CHECK(f->exists(xs), "dataset '", f->path(), "' has no '", xs, "'; a tandem dataset holds /",
                 split, "/x and /", split, "/y (see datasets/README.md; convert with 'tandem convert')");
    TANDEM_CHECK(f->exists(ys), "dataset '", f->path(), "' has no '", ys, "' (targets for ", xs, ")");
  }
  Dataset d;
  d.path_ = path;
  d.split_ = split;
  const int64_t keep = limit > 0 ? limit : INT64_MAX;
  const bool stream = mode == DataMode::kStream;
  d.check_finite_ = check_finite;  // streamed rows: as they are read
  const int64_t rows = count_rows(files, xs, ys);
  d.x_ = read_fields(files, paths, xs, true, keep, stream, stream ? nullptr : node_cache, check_finite);
  d.y_ = read_fields(files, paths, ys, false, keep, false, nullptr, check_finite);
  d.n_ = std::min(keep, rows);
  if (!d.has_labels()) d.no_labels_.assign(d.n_, 0);
  if (files[0]->has_attr("/", "classes")) {
    d.class_names_ = files[0]->attr_strings("/", "classes");
    d.classes_ = static_cast<int64_t>(d.class_names_.size());
  }
  for (const auto& f : files)
    TANDEM_CHECK((f->has_attr("/", "classes") ? f->attr_strings("/", "classes")
                                              : std::vector<std::string>{}) == d.class_names_,
                 "'", f->path(), "' names other classes than '", paths[0],
                 "'; the files of one dataset must agree");
  return d;
}

}  // namespace tandem::data
