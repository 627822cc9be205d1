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
constexpr size_t kChunkCacheBytes = size_t{32} << 20;  // per streamed array
constexpr size_t kCacheSlots = 100003;                 // a prime, ~100x the chunks it holds
}  // namespace

RowReader::RowReader(const std::string& path, const std::string& object) : path_(path), object_(object) {
  const DatasetInfo info = H5File(path, H5File::Mode::kRead).info(object);  // checks and names errors
  TANDEM_CHECK(!info.dims.empty(), "'", object, "' in '", path, "' has no rows to stream");
  type_ = info.type;
  switch (type_) {
    case DType::kUint8: mem_type_ = H5T_NATIVE_UINT8, row_bytes_ = 1; break;
    case DType::kFloat32: mem_type_ = H5T_NATIVE_FLOAT, row_bytes_ = 4; break;
    case DType::kInt32: mem_type_ = H5T_NATIVE_INT32, row_bytes_ = 4; break;
    default: TANDEM_CHECK(false, "'", object, "' in '", path, "' must be uint8, float32 or int32 to stream");
  }
  dims_ = info.dims;
  rows_ = dims_[0];
  for (size_t i = 1; i < dims_.size(); ++i) row_bytes_ *= dims_[i];
  file_ = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  TANDEM_CHECK(file_ >= 0, "cannot open '", path, "' to stream '", object, "'");
  // Rows of a batch fall in many chunks, each decompressed whole: a chunk cache holding many
  // of them (HDF5's default holds 1 MiB) keeps a chunk read for one row for its neighbours.
  hdf5::Plist access{H5Pcreate(H5P_DATASET_ACCESS)};
  H5Pset_chunk_cache(access.id, kCacheSlots, kChunkCacheBytes, 0.75);
  dataset_ = H5Dopen2(file_, object.c_str(), access.id);
  if (dataset_ >= 0) file_space_ = H5Dget_space(dataset_);
  if (file_space_ < 0) {
    close();
    TANDEM_CHECK(false, "cannot open '", object, "' in '", path, "' to stream it");
  }
  open_direct();
}

// A contiguous, unfiltered array stored in this machine's byte order is a plain block of the
// file: its rows are read with pread, without HDF5's selection machinery (which costs more
// than the copy for a batch of scattered rows).
void RowReader::open_direct() {
  hdf5::Plist create{H5Dget_create_plist(dataset_)};
  hdf5::Type stored{H5Dget_type(dataset_)};
  const haddr_t offset = H5Dget_offset(dataset_);
  if (H5Pget_layout(create.id) != H5D_CONTIGUOUS || H5Pget_nfilters(create.id) != 0 ||
      offset == HADDR_UNDEF || H5Tequal(stored.id, mem_type_) <= 0)
    return;
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ >= 0) base_ = static_cast<int64_t>(offset);
}

RowReader::~RowReader() {
  close();
}

void RowReader::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (file_space_ >= 0) H5Sclose(file_space_);
  if (dataset_ >= 0) H5Dclose(dataset_);
  if (file_ >= 0) H5Fclose(file_);
  file_space_ = dataset_ = file_ = -1;
}

void RowReader::read(const int64_t* idx, int64_t n, void* out) {
  if (n <= 0) return;
  order_.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    TANDEM_CHECK(idx[i] >= 0 && idx[i] < rows_, "row ", idx[i], " outside '", object_, "' in '", path_, "' (",
                 rows_, " rows)");
    order_[i] = {idx[i], i};
  }
  std::sort(order_.begin(), order_.end());
  // Runs of consecutive distinct rows; a repeated row is read once.
  runs_.clear();
  distinct_ = 0;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t row = order_[i].first;
    if (i > 0 && row == order_[i - 1].first) continue;
    if (!runs_.empty() && runs_.back().first + runs_.back().second == row)
      ++runs_.back().second;
    else
      runs_.emplace_back(row, 1);
    ++distinct_;
  }
  sorted_.resize(static_cast<size_t>(distinct_ * row_bytes_));
  read_sorted_runs(sorted_.data());
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
  TANDEM_CHECK(begin >= 0 && begin + n <= rows_, "rows [", begin, ", ", begin + n, ") outside '", object_,
               "' in '", path_, "' (", rows_, " rows)");
  runs_.assign(1, {begin, n});
  distinct_ = n;
  read_sorted_runs(out);
}

// The runs, in order, into distinct_ rows at out: one pread each for a plain block of the
// file, else one HDF5 selection, their union.
void RowReader::read_sorted_runs(void* out) {
  rows_read_ += distinct_;
  if (fd_ >= 0) {
    auto* to = static_cast<char*>(out);
    for (const auto& [row, rows] : runs_) {
      const size_t bytes = static_cast<size_t>(rows * row_bytes_);
      size_t done = 0;
      while (done < bytes) {
        const ssize_t got =
            ::pread(fd_, to + done, bytes - done, base_ + row * row_bytes_ + static_cast<off_t>(done));
        if (got < 0 && errno == EINTR) continue;
        TANDEM_CHECK(got > 0, "cannot read rows ", row, "..", row + rows - 1, " of '", object_, "' from '",
                     path_, "': ", got < 0 ? std::strerror(errno) : "the file ends early (truncated?)");
        done += static_cast<size_t>(got);
      }
      to += bytes;
    }
    return;
  }
  const auto rank = static_cast<int>(dims_.size());
  hsize_t start[H5S_MAX_RANK] = {}, count[H5S_MAX_RANK];  // no allocation in a steady step
  for (int d = 0; d < rank; ++d) count[d] = static_cast<hsize_t>(dims_[d]);
  bool first = true;
  for (const auto& [row, rows] : runs_) {
    start[0] = static_cast<hsize_t>(row);
    count[0] = static_cast<hsize_t>(rows);
    H5Sselect_hyperslab(file_space_, first ? H5S_SELECT_SET : H5S_SELECT_OR, start, nullptr, count, nullptr);
    first = false;
  }
  count[0] = static_cast<hsize_t>(distinct_);
  hdf5::Space mem{H5Screate_simple(rank, count, nullptr)};
  const herr_t rc = H5Dread(dataset_, mem_type_, mem.id, file_space_, H5P_DEFAULT, out);
  TANDEM_CHECK(rc >= 0, "cannot read rows of '", object_, "' from '", path_,
               "' (a damaged or truncated file?)");
}

}  // namespace tandem::io
