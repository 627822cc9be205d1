// H5File as a file: opening and closing, groups and their members, and the file-system steps
// of an atomic write, and the file lists of sharded datasets. Datasets are in h5_dataset.cpp,
// attributes in h5_attribute.cpp, rows read on demand in row_reader.cpp; these and
// h5_handles.hpp are the only files that include <hdf5.h>.
#include "tandem/io/h5.hpp"

#include <fcntl.h>
#include <glob.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "h5_guard.hpp"
#include "h5_handles.hpp"
#include "tandem/core/error.hpp"
#include "tandem/core/strings.hpp"

namespace tandem::io {
namespace {

// HDF5 prints its own error stack by default; we report errors ourselves.
struct SilenceHdf5 {
  SilenceHdf5() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }
};
const SilenceHdf5 silence_hdf5;

// The messages of HDF5's error stack, innermost first, joined by "; ".
std::string error_stack() {
  std::string out;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_UPWARD,
      [](unsigned, const H5E_error2_t* e, void* text) -> herr_t {
        auto& s = *static_cast<std::string*>(text);
        if (e->desc && *e->desc) s += (s.empty() ? "" : "; ") + std::string(e->desc);
        return 0;
      },
      &out);
  return out;
}

// The number after "key = " in text, or -1.
int64_t number_after(const std::string& text, const std::string& key) {
  const auto at = text.find(key + " = ");
  return at == std::string::npos ? -1 : std::strtoll(text.c_str() + at + key.size() + 3, nullptr, 10);
}

// Why a file that exists cannot be opened for reading, checked from the cheapest cause:
// permissions, then the signature, then HDF5's own account (a truncated file: its superblock
// records a larger end of file than is on disk).
[[noreturn]] void explain_open_failure(const std::string& path, const std::string& stack) {
  TANDEM_CHECK(access(path.c_str(), R_OK) == 0, "cannot read '", path, "': ", std::strerror(errno),
               "; check its permissions");
  std::error_code ec;
  const auto size = static_cast<int64_t>(std::filesystem::file_size(path, ec));
  const std::string sizes = ec ? "" : detail::concat(" (", size, " bytes)");
  TANDEM_CHECK(H5Fis_hdf5(path.c_str()) > 0, "'", path, "'", sizes,
               " is not an HDF5 file (no HDF5 signature); check the path, or convert the data with "
               "'tandem convert'");
  if (stack.find("truncated file") != std::string::npos) {
    const int64_t stored = number_after(stack, "stored_eof");
    throw Error(detail::concat("HDF5 file '", path, "' is truncated (",
                               ec ? number_after(stack, "eof") : size,
                               " bytes on disk, the file says it holds ", stored,
                               "): it was damaged or not copied completely; copy or convert it again"));
  }
  throw Error(detail::concat("HDF5 file '", path, "'", sizes, " is damaged: HDF5 cannot open it (",
                             stack.empty() ? "no reason given" : stack, "); copy or convert it again"));
}

}  // namespace

H5File::H5File(const std::string& path, Mode mode) : path_(path) {
  if (mode == Mode::kRead) {
    TANDEM_CHECK(std::filesystem::exists(path), "file '", path, "' does not exist; check the path");
    const hdf5::MetadataGuard guard(path, "opening the root group");
    id_ = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (id_ < 0) explain_open_failure(path, error_stack());
  } else {
    // The 1.8 file format (readable by every HDF5 since 2008) keeps attributes over 64 KiB, such
    // as the names of 100,000 classes, in dense storage; the default 1.6 format cannot hold them.
    hdf5::Plist access{H5Pcreate(H5P_FILE_ACCESS)};
    H5Pset_libver_bounds(access.id, H5F_LIBVER_V18, H5F_LIBVER_LATEST);
    hdf5::Plist create{H5Pcreate(H5P_FILE_CREATE)};
    H5Pset_obj_track_times(create.id, 0);  // the root group's too (see create_group)
    id_ = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, create.id, access.id);
    TANDEM_CHECK(id_ >= 0, "cannot create HDF5 file '", path, "'; check the path and permissions");
  }
}

H5File::~H5File() {
  if (id_ >= 0) H5Fclose(id_);
}

void H5File::flush() {
  H5Fflush(id_, H5F_SCOPE_GLOBAL);
}

bool H5File::exists(const std::string& object) const {
  if (object == "/") return true;
  const hdf5::MetadataGuard guard(path_, "looking up '" + object + "'");
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
    hdf5::Plist gcpl{H5Pcreate(H5P_GROUP_CREATE)};
    H5Pset_obj_track_times(gcpl.id, 0);  // no timestamps: the same contents give the same bytes
    hid_t g = H5Gcreate2(id_, prefix.c_str(), H5P_DEFAULT, gcpl.id, H5P_DEFAULT);
    TANDEM_CHECK(g >= 0, "cannot create group '", prefix, "' in '", path_, "'");
    H5Gclose(g);
  }
}

std::vector<std::string> H5File::members(const std::string& group) const {
  std::vector<std::string> out;
  if (!exists(group)) return out;
  const hdf5::MetadataGuard guard(path_, "listing the members of '" + group + "'");
  hid_t g = H5Gopen2(id_, group.c_str(), H5P_DEFAULT);
  TANDEM_CHECK(g >= 0, "'", group, "' in '", path_, "' is not a group");
  // A damaged file makes these calls fail (a negative length): an error, not a huge string.
  H5G_info_t info;
  bool ok = H5Gget_info(g, &info) >= 0;
  for (hsize_t i = 0; ok && i < info.nlinks; ++i) {
    const ssize_t len = H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    ok = len >= 0;
    if (!ok) break;
    std::string name(static_cast<size_t>(len), '\0');
    ok = H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), len + 1, H5P_DEFAULT) >= 0;
    out.push_back(name);
  }
  H5Gclose(g);
  TANDEM_CHECK(ok, "cannot read the member names of group '", group, "' in '", path_,
               "': the file is damaged (h5dump shows what is left)");
  return out;
}

bool H5File::is_group(const std::string& object) const {
  if (!exists(object)) return false;
  const hdf5::MetadataGuard guard(path_, "inspecting '" + object + "'");
  H5O_info_t oinfo;  // HDF5 1.10 API (Debian 12)
  TANDEM_CHECK(H5Oget_info_by_name2(id_, object.c_str(), &oinfo, H5O_INFO_BASIC, H5P_DEFAULT) >= 0,
               "cannot inspect '", object, "' in '", path_, "'");
  return oinfo.type == H5O_TYPE_GROUP;
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

std::vector<std::string> H5File::arrays(const std::string& object) const {
  if (!exists(object)) return {};
  if (!is_group(object)) return {object};
  std::vector<std::string> out;
  for (const auto& name : members(object)) out.push_back(object + "/" + name);
  return out;
}

std::vector<std::string> dataset_files(const std::string& spec) {
  std::vector<std::string> files;
  size_t start = 0;
  for (;;) {
    const size_t comma = spec.find(',', start);
    const std::string item =
        spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    TANDEM_USAGE_CHECK(!item.empty(), "empty file name in the dataset list '", spec, "'");
    if (item.find_first_of("*?[") == std::string::npos) {
      files.push_back(item);
    } else {
      glob_t found{};
      const int rc = ::glob(item.c_str(), 0, nullptr, &found);  // sorted
      for (size_t i = 0; rc == 0 && i < found.gl_pathc; ++i) files.emplace_back(found.gl_pathv[i]);
      globfree(&found);
      TANDEM_USAGE_CHECK(rc == 0, "the dataset pattern '", item, "' matches no file");
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return files;
}

}  // namespace tandem::io
