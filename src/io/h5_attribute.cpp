// H5File's attributes on groups and datasets: strings (variable- or fixed-length), string
// lists, doubles and integers; written by replacing, read with a message naming what is missing.
#include "tandem/io/h5.hpp"

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "h5_guard.hpp"
#include "h5_handles.hpp"
#include "tandem/core/error.hpp"
#include "tandem/core/memory.hpp"

namespace tandem::io {

using hdf5::Attr;
using hdf5::Handle;
using hdf5::Space;
using hdf5::Type;

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
  const hdf5::MetadataGuard guard(path_, "looking up attribute '" + name + "' on '" + object + "'");
  Handle o(open_object(id_, path_, object));
  return H5Aexists(o.get(), name.c_str()) > 0;
}

namespace {

// Reads a string attribute stored as variable- or fixed-length, scalar or 1-D. `file` and
// `where` name it in errors; a count or length beyond the file's size is a damaged file (it
// would size the buffers below).
std::vector<std::string> read_strings(hid_t attr, const std::string& file, const std::string& where) {
  Type ft{H5Aget_type(attr)};
  TANDEM_CHECK(H5Tget_class(ft.id) == H5T_STRING, where, " in '", file, "' is not a string");
  Space s{H5Aget_space(attr)};
  std::vector<std::string> out;
  if (H5Sget_simple_extent_type(s.id) == H5S_NULL) return out;
  const hssize_t n = std::max<hssize_t>(H5Sget_simple_extent_npoints(s.id), 1);
  const bool variable = H5Tis_variable_str(ft.id) > 0;
  const auto len = static_cast<int64_t>(variable ? 1 : H5Tget_size(ft.id));
  std::error_code ec;
  const auto file_bytes = static_cast<int64_t>(std::filesystem::file_size(file, ec));
  const int64_t bytes = checked_product({static_cast<int64_t>(n), std::max<int64_t>(len, 1)});
  TANDEM_CHECK(ec || (bytes >= 0 && bytes <= file_bytes), where, " in '", file, "' claims ", n,
               " string(s) of ", len, " byte(s), more than the file's ", file_bytes,
               " bytes: the file is damaged; copy or convert it again");
  auto unreadable = [&] {
    return detail::concat("cannot read ", where, " in '", file, "' (a damaged file?)");
  };
  if (variable) {
    Type mt{H5Tcopy(H5T_C_S1)};
    H5Tset_size(mt.id, H5T_VARIABLE);
    H5Tset_cset(mt.id, H5Tget_cset(ft.id));
    std::vector<char*> ptrs(n, nullptr);
    TANDEM_CHECK(H5Aread(attr, mt.id, ptrs.data()) >= 0, unreadable());
    for (auto* p : ptrs) out.emplace_back(p ? p : "");
    H5Dvlen_reclaim(mt.id, s.id, H5P_DEFAULT, ptrs.data());
  } else {
    std::vector<char> buf(static_cast<size_t>(bytes) + 1, '\0');
    TANDEM_CHECK(H5Aread(attr, ft.id, buf.data()) >= 0, unreadable());
    for (hssize_t i = 0; i < n; ++i) {
      std::string v(buf.data() + i * len, static_cast<size_t>(len));
      out.push_back(v.substr(0, v.find('\0')));
    }
  }
  return out;
}

std::string attribute_name(const std::string& object, const std::string& name) {
  return "attribute '" + name + "' on '" + object + "'";
}

}  // namespace

std::string H5File::attr_string(const std::string& object, const std::string& name) const {
  TANDEM_CHECK(has_attr(object, name), "'", path_, "' has no attribute '", name, "' on '", object, "'");
  const hdf5::MetadataGuard guard(path_, "reading " + attribute_name(object, name));
  Handle o(open_object(id_, path_, object));
  Attr a{H5Aopen(o.get(), name.c_str(), H5P_DEFAULT)};
  auto v = read_strings(a.id, path_, attribute_name(object, name));
  return v.empty() ? std::string() : v[0];
}

std::vector<std::string> H5File::attr_strings(const std::string& object, const std::string& name) const {
  TANDEM_CHECK(has_attr(object, name), "'", path_, "' has no attribute '", name, "' on '", object, "'");
  const hdf5::MetadataGuard guard(path_, "reading " + attribute_name(object, name));
  Handle o(open_object(id_, path_, object));
  Attr a{H5Aopen(o.get(), name.c_str(), H5P_DEFAULT)};
  return read_strings(a.id, path_, attribute_name(object, name));
}

double H5File::attr_double(const std::string& object, const std::string& name) const {
  TANDEM_CHECK(has_attr(object, name), "'", path_, "' has no attribute '", name, "' on '", object, "'");
  const hdf5::MetadataGuard guard(path_, "reading " + attribute_name(object, name));
  Handle o(open_object(id_, path_, object));
  Attr a{H5Aopen(o.get(), name.c_str(), H5P_DEFAULT)};
  double v = 0;
  TANDEM_CHECK(H5Aread(a.id, H5T_NATIVE_DOUBLE, &v) >= 0, "attribute '", name, "' in '", path_,
               "' is not numeric");
  return v;
}

int64_t H5File::attr_int(const std::string& object, const std::string& name) const {
  TANDEM_CHECK(has_attr(object, name), "'", path_, "' has no attribute '", name, "' on '", object, "'");
  const hdf5::MetadataGuard guard(path_, "reading " + attribute_name(object, name));
  Handle o(open_object(id_, path_, object));
  Attr a{H5Aopen(o.get(), name.c_str(), H5P_DEFAULT)};
  int64_t v = 0;
  TANDEM_CHECK(H5Aread(a.id, H5T_NATIVE_INT64, &v) >= 0, "attribute '", name, "' in '", path_,
               "' is not an integer");
  return v;
}

std::vector<std::string> H5File::attr_names(const std::string& object) const {
  std::vector<std::string> out;
  if (!exists(object)) return out;
  const hdf5::MetadataGuard guard(path_, "listing the attributes of '" + object + "'");
  Handle o(open_object(id_, path_, object));
  H5O_info_t oinfo;  // HDF5 1.10 API (Debian 12)
  TANDEM_CHECK(H5Oget_info2(o.get(), &oinfo, H5O_INFO_NUM_ATTRS) >= 0, "cannot inspect '", object, "' in '",
               path_, "'");
  for (hsize_t i = 0; i < oinfo.num_attrs; ++i) {
    const ssize_t len =
        H5Aget_name_by_idx(o.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    std::string name(static_cast<size_t>(std::max<ssize_t>(len, 0)), '\0');
    // A damaged file makes these calls fail (a negative length): an error, not a huge string.
    TANDEM_CHECK(len >= 0 && H5Aget_name_by_idx(o.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(),
                                                static_cast<size_t>(len) + 1, H5P_DEFAULT) >= 0,
                 "cannot read the attribute names of '", object, "' in '", path_,
                 "': the file is damaged (h5dump shows what is left)");
    out.push_back(name);
  }
  return out;
}

}  // namespace tandem::io
