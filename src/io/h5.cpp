// The only translation unit that includes <hdf5.h>.
#include "tandem/io/h5.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <hdf5.h>

#include <cstdio>
#include <filesystem>

#include "tandem/core/error.hpp"
#include "tandem/core/strings.hpp"

namespace tandem::io {
namespace {

// Closes an HDF5 object (group or dataset) when it goes out of scope.
class Handle {
 public:
  explicit Handle(hid_t id) : id_(id) {}
  ~Handle() {
    if (id_ >= 0) H5Oclose(id_);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
};

// Plain-id closers for the non-object handle kinds.
struct Space {
  hid_t id;
  ~Space() {
    if (id >= 0) H5Sclose(id);
  }
};
struct Type {
  hid_t id;
  ~Type() {
    if (id >= 0) H5Tclose(id);
  }
};
struct Plist {
  hid_t id;
  ~Plist() {
    if (id >= 0) H5Pclose(id);
  }
};
struct Attr {
  hid_t id;
  ~Attr() {
    if (id >= 0) H5Aclose(id);
  }
};

// HDF5 prints its own error stack by default; we report errors ourselves.
struct SilenceHdf5 {
  SilenceHdf5() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }
};
const SilenceHdf5 silence_hdf5;

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

H5File::H5File(const std::string& path, Mode mode) : path_(path) {
  if (mode == Mode::kRead) {
    TANDEM_CHECK(std::filesystem::exists(path), "file '", path, "' does not exist; check the path");
    TANDEM_CHECK(H5Fis_hdf5(path.c_str()) > 0, "'", path, "' is not an HDF5 file (or cannot be read)");
    id_ = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  } else {
    id_ = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  }
  TANDEM_CHECK(id_ >= 0, "cannot ", mode == Mode::kRead ? "open" : "create", " HDF5 file '", path,
               "'; check the path and permissions");
}

H5File::~H5File() {
  if (id_ >= 0) H5Fclose(id_);
}

void H5File::flush() {
  H5Fflush(id_, H5F_SCOPE_GLOBAL);
}

bool H5File::exists(const std::string& object) const {
  if (object == "/") return true;
  // Check each prefix, since H5Lexists fails on a missing intermediate group.
  std::string prefix;
  for (const auto& part : split(object, "/")) {
    prefix += "/" + part;
    if (H5Lexists(id_, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
  }
  return true;
}

void H5File::create_group(const std::string& group) {
  std::string prefix;
  for (const auto& part : split(group, "/")) {
    prefix += "/" + part;
    if (H5Lexists(id_, prefix.c_str(), H5P_DEFAULT) > 0) continue;
    hid_t g = H5Gcreate2(id_, prefix.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    TANDEM_CHECK(g >= 0, "cannot create group '", prefix, "' in '", path_, "'");
    H5Gclose(g);
  }
}

DatasetInfo H5File::info(const std::string& dataset) const {
  TANDEM_CHECK(exists(dataset), "'", path_, "' has no dataset '", dataset, "'");
  Handle d(H5Oopen(id_, dataset.c_str(), H5P_DEFAULT));
  TANDEM_CHECK(d.ok(), "'", dataset, "' in '", path_, "' is not a dataset");
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

namespace {

hid_t open_object(hid_t file, const std::string& path, const std::string& object) {
  hid_t o = H5Oopen(file, object.c_str(), H5P_DEFAULT);
  TANDEM_CHECK(o >= 0, "'", path, "' has no object '", object, "'");
  return o;
}

void replace_attr(hid_t obj, const std::string& name) {
  if (H5Aexists(obj, name.c_str()) > 0) H5Adelete(obj, name.c_str());
}

}  // namespace

void H5File::set_attr(const std::string& object, const std::string& name, const std::string& value) {
  Handle o(open_object(id_, path_, object));
  replace_attr(o.get(), name);
  Type t{H5Tcopy(H5T_C_S1)};
  H5Tset_size(t.id, H5T_VARIABLE);
  H5Tset_cset(t.id, H5T_CSET_UTF8);
  Space s{H5Screate(H5S_SCALAR)};
  Attr a{H5Acreate2(o.get(), name.c_str(), t.id, s.id, H5P_DEFAULT, H5P_DEFAULT)};
  const char* p = value.c_str();
  TANDEM_CHECK(a.id >= 0 && H5Awrite(a.id, t.id, &p) >= 0, "cannot write attribute '", name, "' to '", path_,
               "'");
}

void H5File::set_attr(const std::string& object, const std::string& name, double value) {
  Handle o(open_object(id_, path_, object));
  replace_attr(o.get(), name);
  Space s{H5Screate(H5S_SCALAR)};
  Attr a{H5Acreate2(o.get(), name.c_str(), H5T_IEEE_F64LE, s.id, H5P_DEFAULT, H5P_DEFAULT)};
  TANDEM_CHECK(a.id >= 0 && H5Awrite(a.id, H5T_NATIVE_DOUBLE, &value) >= 0, "cannot write attribute '", name,
               "'");
}

void H5File::set_attr(const std::string& object, const std::string& name, int64_t value) {
  Handle o(open_object(id_, path_, object));
  replace_attr(o.get(), name);
  Space s{H5Screate(H5S_SCALAR)};
  Attr a{H5Acreate2(o.get(), name.c_str(), H5T_STD_I64LE, s.id, H5P_DEFAULT, H5P_DEFAULT)};
  TANDEM_CHECK(a.id >= 0 && H5Awrite(a.id, H5T_NATIVE_INT64, &value) >= 0, "cannot write attribute '", name,
               "'");
}

void H5File::set_attr(const std::string& object, const std::string& name,
                      const std::vector<std::string>& values) {
  Handle o(open_object(id_, path_, object));
  replace_attr(o.get(), name);
  Type t{H5Tcopy(H5T_C_S1)};
  H5Tset_size(t.id, H5T_VARIABLE);
  H5Tset_cset(t.id, H5T_CSET_UTF8);
  hsize_t n = values.size();
  // An empty list is a null dataspace (HDF5 has no zero-length simple attribute).
  Space s{n == 0 ? H5Screate(H5S_NULL) : H5Screate_simple(1, &n, nullptr)};
  Attr a{H5Acreate2(o.get(), name.c_str(), t.id, s.id, H5P_DEFAULT, H5P_DEFAULT)};
  TANDEM_CHECK(a.id >= 0, "cannot create attribute '", name, "'");
  if (n == 0) return;
  std::vector<const char*> ptrs;
  for (const auto& v : values) ptrs.push_back(v.c_str());
  TANDEM_CHECK(H5Awrite(a.id, t.id, ptrs.data()) >= 0, "cannot write attribute '", name, "'");
}

bool H5File::has_attr(const std::string& object, const std::string& name) const {
  if (!exists(object)) return false;
  Handle o(open_object(id_, path_, object));
  return H5Aexists(o.get(), name.c_str()) > 0;
}

namespace {

// Reads a string attribute stored as variable- or fixed-length, scalar or 1-D.
std::vector<std::string> read_strings(hid_t attr) {
  Type ft{H5Aget_type(attr)};
  TANDEM_CHECK(H5Tget_class(ft.id) == H5T_STRING, "attribute is not a string");
  Space s{H5Aget_space(attr)};
  std::vector<std::string> out;
  if (H5Sget_simple_extent_type(s.id) == H5S_NULL) return out;
  const hssize_t n = std::max<hssize_t>(H5Sget_simple_extent_npoints(s.id), 1);
  if (H5Tis_variable_str(ft.id) > 0) {
    Type mt{H5Tcopy(H5T_C_S1)};
    H5Tset_size(mt.id, H5T_VARIABLE);
    H5Tset_cset(mt.id, H5Tget_cset(ft.id));
    std::vector<char*> ptrs(n, nullptr);
    TANDEM_CHECK(H5Aread(attr, mt.id, ptrs.data()) >= 0, "cannot read string attribute");
    for (auto* p : ptrs) out.emplace_back(p ? p : "");
    H5Dvlen_reclaim(mt.id, s.id, H5P_DEFAULT, ptrs.data());
  } else {
    const size_t len = H5Tget_size(ft.id);
    std::vector<char> buf(len * n + 1, '\0');
    TANDEM_CHECK(H5Aread(attr, ft.id, buf.data()) >= 0, "cannot read string attribute");
    for (hssize_t i = 0; i < n; ++i) {
      std::string v(buf.data() + i * len, len);
      out.push_back(v.substr(0, v.find('\0')));
    }
  }
  return out;
}

}  // namespace

std::string H5File::attr_string(const std::string& object, const std::string& name) const {
  TANDEM_CHECK(has_attr(object, name), "'", path_, "' has no attribute '", name, "' on '", object, "'");
  Handle o(open_object(id_, path_, object));
  Attr a{H5Aopen(o.get(), name.c_str(), H5P_DEFAULT)};
  auto v = read_strings(a.id);
  return v.empty() ? std::string() : v[0];
}

std::vector<std::string> H5File::attr_strings(const std::string& object, const std::string& name) const {
  TANDEM_CHECK(has_attr(object, name), "'", path_, "' has no attribute '", name, "' on '", object, "'");
  Handle o(open_object(id_, path_, object));
  Attr a{H5Aopen(o.get(), name.c_str(), H5P_DEFAULT)};
  return read_strings(a.id);
}

double H5File::attr_double(const std::string& object, const std::string& name) const {
  TANDEM_CHECK(has_attr(object, name), "'", path_, "' has no attribute '", name, "' on '", object, "'");
  Handle o(open_object(id_, path_, object));
  Attr a{H5Aopen(o.get(), name.c_str(), H5P_DEFAULT)};
  double v = 0;
  TANDEM_CHECK(H5Aread(a.id, H5T_NATIVE_DOUBLE, &v) >= 0, "attribute '", name, "' in '", path_,
               "' is not numeric");
  return v;
}

int64_t H5File::attr_int(const std::string& object, const std::string& name) const {
  TANDEM_CHECK(has_attr(object, name), "'", path_, "' has no attribute '", name, "' on '", object, "'");
  Handle o(open_object(id_, path_, object));
  Attr a{H5Aopen(o.get(), name.c_str(), H5P_DEFAULT)};
  int64_t v = 0;
  TANDEM_CHECK(H5Aread(a.id, H5T_NATIVE_INT64, &v) >= 0, "attribute '", name, "' in '", path_,
               "' is not an integer");
  return v;
}

std::vector<std::string> H5File::members(const std::string& group) const {
  std::vector<std::string> out;
  if (!exists(group)) return out;
  hid_t g = H5Gopen2(id_, group.c_str(), H5P_DEFAULT);
  TANDEM_CHECK(g >= 0, "'", group, "' in '", path_, "' is not a group");
  H5G_info_t info;
  H5Gget_info(g, &info);
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t len = H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    std::string name(static_cast<size_t>(len), '\0');
    H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), len + 1, H5P_DEFAULT);
    out.push_back(name);
  }
  H5Gclose(g);
  return out;
}

bool H5File::is_group(const std::string& object) const {
  if (!exists(object)) return false;
  H5O_info_t oinfo;  // HDF5 1.10 API (Debian 12)
  TANDEM_CHECK(H5Oget_info_by_name2(id_, object.c_str(), &oinfo, H5O_INFO_BASIC, H5P_DEFAULT) >= 0,
               "cannot inspect '", object, "' in '", path_, "'");
  return oinfo.type == H5O_TYPE_GROUP;
}

std::vector<std::string> H5File::attr_names(const std::string& object) const {
  std::vector<std::string> out;
  if (!exists(object)) return out;
  Handle o(open_object(id_, path_, object));
  H5O_info_t oinfo;  // HDF5 1.10 API (Debian 12)
  TANDEM_CHECK(H5Oget_info2(o.get(), &oinfo, H5O_INFO_NUM_ATTRS) >= 0, "cannot inspect '", object, "' in '",
               path_, "'");
  for (hsize_t i = 0; i < oinfo.num_attrs; ++i) {
    const ssize_t len =
        H5Aget_name_by_idx(o.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    std::string name(static_cast<size_t>(len), '\0');
    H5Aget_name_by_idx(o.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), static_cast<size_t>(len) + 1,
                       H5P_DEFAULT);
    out.push_back(name);
  }
  return out;
}

void sync_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  TANDEM_CHECK(fd >= 0, "cannot open '", path, "' to flush it to disk");
  const int rc = ::fsync(fd);
  ::close(fd);
  TANDEM_CHECK(rc == 0, "cannot flush '", path, "' to disk (fsync failed)");
}

void rename_file(const std::string& from, const std::string& to) {
  std::error_code ec;
  std::filesystem::rename(from, to, ec);
  TANDEM_CHECK(!ec, "cannot rename '", from, "' to '", to, "': ", ec.message());
}

}  // namespace tandem::io
