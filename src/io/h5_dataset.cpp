// H5File's datasets: their shape and type, whole writes (optionally chunked and compressed)
// and reads of whole datasets or of rows.
#include "tandem/io/h5.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "h5_guard.hpp"
#include "h5_handles.hpp"
#include "h5_layout_check.hpp"
#include "tandem/core/error.hpp"

namespace tandem::io {
namespace {

using hdf5::Handle;
using hdf5::Plist;
using hdf5::Space;
using hdf5::Type;

hid_t mem_type(DType t) {
  switch (t) {
    case DType::kFloat32: return H5T_NATIVE_FLOAT;
    case DType::kUint8: return H5T_NATIVE_UINT8;
    case DType::kInt32: return H5T_NATIVE_INT32;
    case DType::kFloat64: return H5T_NATIVE_DOUBLE;
    default: return H5T_NATIVE_FLOAT;
  }
}

}  // namespace

DatasetInfo H5File::info(const std::string& dataset) const {
  TANDEM_CHECK(exists(dataset), "'", path_, "' has no dataset '", dataset, "'");
  const hdf5::MetadataGuard guard(path_, "reading the shape and layout of '" + dataset + "'");
  Handle d(H5Oopen(id_, dataset.c_str(), H5P_DEFAULT));
  TANDEM_CHECK(d.ok(), "'", dataset, "' in '", path_, "' is not a dataset");
  if (H5Iget_type(d.get()) == H5I_DATASET) hdf5::check_stored_layout(d.get(), path_, dataset);
  Space s{H5Dget_space(d.get())};
  const int rank = H5Sget_simple_extent_ndims(s.id);
  std::vector<hsize_t> dims(std::max(rank, 0));
  H5Sget_simple_extent_dims(s.id, dims.data(), nullptr);
  DatasetInfo out;
  for (auto v : dims) out.dims.push_back(static_cast<int64_t>(v));
  Type t{H5Dget_type(d.get())};
  const H5T_class_t cls = H5Tget_class(t.id);
  const size_t size = H5Tget_size(t.id);
  if (cls == H5T_FLOAT && size == 4)
    out.type = DType::kFloat32;
  else if (cls == H5T_FLOAT && size == 8)
    out.type = DType::kFloat64;
  else if (cls == H5T_INTEGER && size == 1 && H5Tget_sign(t.id) == H5T_SGN_NONE)
    out.type = DType::kUint8;
  else if (cls == H5T_INTEGER && size == 4 && H5Tget_sign(t.id) == H5T_SGN_2)
    out.type = DType::kInt32;
  return out;
}

namespace {

void write_impl(hid_t file, const std::string& path, const std::string& name,
                const std::vector<int64_t>& dims, DType type, const void* data, int64_t chunk_rows) {
  std::vector<hsize_t> d(dims.begin(), dims.end());
  Space space{H5Screate_simple(static_cast<int>(d.size()), d.data(), nullptr)};
  Plist dcpl{H5Pcreate(H5P_DATASET_CREATE)};
  H5Pset_obj_track_times(dcpl.id, 0);  // no timestamps: the same contents give the same bytes
  if (chunk_rows > 0 && !d.empty() && d[0] > 0) {
    std::vector<hsize_t> chunk = d;
    chunk[0] = std::min<hsize_t>(d[0], static_cast<hsize_t>(chunk_rows));
    H5Pset_chunk(dcpl.id, static_cast<int>(chunk.size()), chunk.data());
    H5Pset_deflate(dcpl.id, 1);
  }
  const hid_t file_type = type == DType::kFloat32   ? H5T_IEEE_F32LE
                          : type == DType::kFloat64 ? H5T_IEEE_F64LE
                          : type == DType::kUint8   ? H5T_STD_U8LE
                                                    : H5T_STD_I32LE;
  // Create intermediate groups on the way.
  Plist lcpl{H5Pcreate(H5P_LINK_CREATE)};
  H5Pset_create_intermediate_group(lcpl.id, 1);
  hid_t ds = H5Dcreate2(file, name.c_str(), file_type, space.id, lcpl.id, dcpl.id, H5P_DEFAULT);
  TANDEM_CHECK(ds >= 0, "cannot create dataset '", name, "' in '", path, "'");
  const herr_t rc = H5Dwrite(ds, mem_type(type), H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
  H5Dclose(ds);
  TANDEM_CHECK(rc >= 0, "cannot write dataset '", name, "' to '", path, "' (disk full?)");
}

void read_impl(hid_t file, const std::string& path, const std::string& name, DType type, void* out,
               int64_t row0, int64_t rows) {
  hid_t ds = H5Dopen2(file, name.c_str(), H5P_DEFAULT);
  TANDEM_CHECK(ds >= 0, "'", path, "' has no dataset '", name, "'");
  Space fspace{H5Dget_space(ds)};
  const int rank = H5Sget_simple_extent_ndims(fspace.id);
  std::vector<hsize_t> dims(std::max(rank, 0));
  H5Sget_simple_extent_dims(fspace.id, dims.data(), nullptr);
  herr_t rc;
  if (rows < 0 || rank == 0) {
    rc = H5Dread(ds, mem_type(type), H5S_ALL, H5S_ALL, H5P_DEFAULT, out);
  } else {
    if (row0 < 0 || static_cast<hsize_t>(row0 + rows) > dims[0]) {
      H5Dclose(ds);
      throw Error(detail::concat("rows [", row0, ", ", row0 + rows, ") out of range for '", name, "' in '",
                                 path, "' with ", dims[0], " rows"));
    }
    std::vector<hsize_t> start(rank, 0), count = dims;
    start[0] = static_cast<hsize_t>(row0);
    count[0] = static_cast<hsize_t>(rows);
    H5Sselect_hyperslab(fspace.id, H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr);
    Space mspace{H5Screate_simple(rank, count.data(), nullptr)};
    rc = H5Dread(ds, mem_type(type), mspace.id, fspace.id, H5P_DEFAULT, out);
  }
  H5Dclose(ds);
  TANDEM_CHECK(rc >= 0, "cannot read dataset '", name, "' from '", path,
               "' (corrupt file, or a type that does not convert)");
}

}  // namespace

void H5File::write(const std::string& n, const std::vector<int64_t>& d, const float* p, int64_t c) {
  write_impl(id_, path_, n, d, DType::kFloat32, p, c);
}
void H5File::write(const std::string& n, const std::vector<int64_t>& d, const uint8_t* p, int64_t c) {
  write_impl(id_, path_, n, d, DType::kUint8, p, c);
}
void H5File::write(const std::string& n, const std::vector<int64_t>& d, const int32_t* p, int64_t c) {
  write_impl(id_, path_, n, d, DType::kInt32, p, c);
}
void H5File::write(const std::string& n, const std::vector<int64_t>& d, const double* p, int64_t c) {
  write_impl(id_, path_, n, d, DType::kFloat64, p, c);
}
void H5File::read(const std::string& n, float* o, int64_t r0, int64_t r) const {
  read_impl(id_, path_, n, DType::kFloat32, o, r0, r);
}
void H5File::read(const std::string& n, uint8_t* o, int64_t r0, int64_t r) const {
  read_impl(id_, path_, n, DType::kUint8, o, r0, r);
}
void H5File::read(const std::string& n, int32_t* o, int64_t r0, int64_t r) const {
  read_impl(id_, path_, n, DType::kInt32, o, r0, r);
}
void H5File::read(const std::string& n, double* o, int64_t r0, int64_t r) const {
  read_impl(id_, path_, n, DType::kFloat64, o, r0, r);
}

}  // namespace tandem::io
