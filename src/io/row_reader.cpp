#include "tandem/io/row_reader.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "h5_handles.hpp"
#include "tandem/core/error.hpp"

namespace tandem::io {

namespace {
constexpr size_t kChunkCacheBytes = size_t{32} << 20;  // per streamed array and file
constexpr size_t kCacheSlots = 100003;                 // a prime, ~100x the chunks it holds
}  // namespace

RowReader::RowReader(const std::vector<std::string>& paths, const std::string& object)
    : paths_(paths), object_(object), parts_(paths.size()) {
  TANDEM_CHECK(!paths.empty(), "no file to read '", object, "' from");
  try {
    for (size_t p = 0; p < paths.size(); ++p) open_part(p, paths[p]);
  } catch (...) {
    close();
    throw;
  }
}

RowReader::~RowReader() {
  close();
}

void RowReader::close() {
  for (auto& p : parts_) {
    if (p.fd >= 0) ::close(p.fd);
    if (p.space >= 0) H5Sclose(p.space);
    if (p.dataset >= 0) H5Dclose(p.dataset);
    if (p.file >= 0) H5Fclose(p.file);
    p.fd = -1, p.space = p.dataset = p.file = -1;
  }
}

// The array in file p: checked against the first file's, opened, and read directly when it
// is a plain block of the file (contiguous, unfiltered, this machine's byte order).
void RowReader::open_part(size_t p, const std::string& path) {
  const DatasetInfo info = H5File(path, H5File::Mode::kRead).info(object_);  // checks and names errors
  TANDEM_CHECK(!info.dims.empty(), "'", object_, "' in '", path, "' has no rows to stream");
  const std::vector<int64_t> row_dims(info.dims.begin() + 1, info.dims.end());
  if (p == 0) {
    type_ = info.type;
    switch (type_) {
      case DType::kUint8: mem_type_ = H5T_NATIVE_UINT8, row_bytes_ = 1; break;
      case DType::kFloat32: mem_type_ = H5T_NATIVE_FLOAT, row_bytes_ = 4; break;
      case DType::kInt32: mem_type_ = H5T_NATIVE_INT32, row_bytes_ = 4; break;
      default:
        TANDEM_CHECK(false, "'", object_, "' in '", path, "' must be uint8, float32 or int32 to stream");
    }
    row_dims_ = row_dims;
    for (int64_t d : row_dims) row_bytes_ *= d;
  }
  TANDEM_CHECK(info.type == type_ && row_dims == row_dims_, "'", object_, "' in '", path,
               "' differs in type or row shape from '", paths_[0],
               "'; the files of one dataset must share one layout");
  Part& part = parts_[p];
  part.first_row = rows_;
  part.rows = info.dims[0];
  rows_ += part.rows;
  part.file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  TANDEM_CHECK(part.file >= 0, "cannot open '", path, "' to stream '", object_, "'");
  // Rows of a batch fall in many chunks, each decompressed whole: a chunk cache holding many
  // of them (HDF5's default holds 1 MiB) keeps a chunk read for one row for its neighbours.
  hdf5::Plist access{H5Pcreate(H5P_DATASET_ACCESS)};
  H5Pset_chunk_cache(access.id, kCacheSlots, kChunkCacheBytes, 0.75);
  part.dataset = H5Dopen2(part.file, object_.c_str(), access.id);
  if (part.dataset >= 0) part.space = H5Dget_space(part.dataset);
  TANDEM_CHECK(part.space >= 0, "cannot open '", object_, "' in '", path, "' to stream it");
  // pread costs less than HDF5's selection machinery for a batch of scattered rows.
  hdf5::Plist create{H5Dget_create_plist(part.dataset)};
  hdf5::Type stored{H5Dget_type(part.dataset)};
  const haddr_t offset = H5Dget_offset(part.dataset);
  if (H5Pget_layout(create.id) != H5D_CONTIGUOUS || H5Pget_nfilters(create.id) != 0 ||
      offset == HADDR_UNDEF || H5Tequal(stored.id, mem_type_) <= 0)
    return;
  part.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (part.fd >= 0) part.base = static_cast<int64_t>(offset);
}

std::pair<std::string, int64_t> RowReader::file_of(int64_t row) const {
  size_t p = 0;
  while (p + 1 < parts_.size() && row >= parts_[p].first_row + parts_[p].rows) ++p;
  return {paths_[p], row - parts_[p].first_row};
}

bool RowReader::direct() const {
  return std::all_of(parts_.begin(), parts_.end(), [](const Part& p) { return p.fd >= 0; });
}

// Appends a global row (rows come sorted) to the runs, starting a new run at a gap or at the
// start of another file; `part` follows the rows along.
void RowReader::add_row(int64_t row, size_t& part) {
  while (row >= parts_[part].first_row + parts_[part].rows) ++part;
  const int64_t local = row - parts_[part].first_row;
  if (!runs_.empty() && runs_.back().part == part && runs_.back().row + runs_.back().count == local)
    ++runs_.back().count;
  else
    runs_.push_back({part, local, 1});
  ++distinct_;
}

void RowReader::read(const int64_t* idx, int64_t n, void* out) {
  if (n <= 0) return;
  order_.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    TANDEM_ASSERT(idx[i] >= 0 && idx[i]<rows_, "row ", idx[i], " outside the ", rows_, " rows of '", object_,
                                        "' in '", paths_[0], "'", paths_.size()> 1
                      ? " and the files after it"
                      : "");
    order_[i] = {idx[i], i};
  }
  std::sort(order_.begin(), order_.end());
  runs_.clear();
  distinct_ = 0;
  size_t part = 0;
  for (int64_t i = 0; i < n; ++i)
    if (i == 0 || order_[i].first != order_[i - 1].first) add_row(order_[i].first, part);  // repeats: once
  sorted_.resize(static_cast<size_t>(distinct_ * row_bytes_));
  read_runs(sorted_.data());
  auto* to = static_cast<uint8_t*>(out);
  int64_t k = -1;
  for (int64_t i = 0; i < n; ++i) {
    if (i == 0 || order_[i].first != order_[i - 1].first) ++k;
    std::memcpy(to + order_[i].second * row_bytes_, sorted_.data() + k * row_bytes_,
                static_cast<size_t>(row_bytes_));
  }
}

void RowReader::read_range(int64_t begin, int64_t n, void* out) {
  if (n <= 0) return;
  TANDEM_ASSERT(begin >= 0 && begin + n <= rows_, "rows [", begin, ", ", begin + n, ") outside the ", rows_,
                " rows of '", object_, "' in '", paths_[0], "'",
                paths_.size() > 1 ? " and the files after it" : "");
  runs_.clear();
  distinct_ = 0;
  size_t part = 0;
  for (int64_t r = begin; r < begin + n; ++r) add_row(r, part);
  read_runs(out);
}

// The runs, in order, into distinct_ rows at out: a direct file's runs one pread each, the
// runs of another file with one HDF5 selection.
void RowReader::read_runs(void* out) {
  rows_read_ += distinct_;
  auto* to = static_cast<char*>(out);
  for (size_t first = 0; first < runs_.size();) {
    Part& part = parts_[runs_[first].part];
    size_t last = first;
    int64_t rows = 0;
    while (last < runs_.size() && runs_[last].part == runs_[first].part) rows += runs_[last++].count;
    if (part.fd >= 0)
      for (size_t r = first; r < last; ++r) {
        read_direct(part, runs_[r], to);
        to += runs_[r].count * row_bytes_;
      }
    else
      read_selection(part, first, last, to), to += rows * row_bytes_;
    first = last;
  }
}

void RowReader::read_direct(const Part& part, const Run& run, char* out) const {
  const auto bytes = static_cast<size_t>(run.count * row_bytes_);
  const off_t at = static_cast<off_t>(part.base + run.row * row_bytes_);
  for (size_t done = 0; done < bytes;) {
    const ssize_t got = ::pread(part.fd, out + done, bytes - done, at + static_cast<off_t>(done));
    if (got < 0 && errno == EINTR) continue;
    TANDEM_CHECK(got > 0, "cannot read rows ", run.row, "..", run.row + run.count - 1, " of '", object_,
                 "' from '", paths_[run.part],
                 "': ", got < 0 ? std::strerror(errno) : "the file ends early (truncated?)");
    done += static_cast<size_t>(got);
  }
}

// Runs [first, last) of one file: their union selected, read in one call.
void RowReader::read_selection(Part& part, size_t first, size_t last, char* out) {
  const auto rank = static_cast<int>(row_dims_.size() + 1);
  hsize_t start[H5S_MAX_RANK] = {}, count[H5S_MAX_RANK];  // no allocation in a steady step
  for (int d = 1; d < rank; ++d) count[d] = static_cast<hsize_t>(row_dims_[d - 1]);
  int64_t rows = 0;
  for (size_t r = first; r < last; ++r) {
    start[0] = static_cast<hsize_t>(runs_[r].row);
    count[0] = static_cast<hsize_t>(runs_[r].count);
    H5Sselect_hyperslab(part.space, r == first ? H5S_SELECT_SET : H5S_SELECT_OR, start, nullptr, count,
                        nullptr);
    rows += runs_[r].count;
  }
  count[0] = static_cast<hsize_t>(rows);
  hdf5::Space mem{H5Screate_simple(rank, count, nullptr)};
  const herr_t rc = H5Dread(part.dataset, mem_type_, mem.id, part.space, H5P_DEFAULT, out);
  TANDEM_CHECK(rc >= 0, "cannot read rows of '", object_, "' from '", paths_[runs_[first].part],
               "' (a damaged or truncated file?)");
}

}  // namespace tandem::io
