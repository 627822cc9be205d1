#include "tandem/io/row_reader.hpp"

#include <algorithm>
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
}

RowReader::~RowReader() {
  close();
}

void RowReader::close() {
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

// One selection, the union of the runs, read into distinct_ rows at out.
void RowReader::read_sorted_runs(void* out) {
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
  rows_read_ += distinct_;
}

}  // namespace tandem::io
