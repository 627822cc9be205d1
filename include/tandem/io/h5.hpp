#pragma once
// RAII wrapper over the HDF5 C API: files, groups, datasets and attributes. The only other
// place that sees <hdf5.h> is its implementation.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tandem::io {

enum class DType { kFloat32, kUint8, kInt32, kFloat64, kOther };

struct DatasetInfo {
  std::vector<int64_t> dims;
  DType type = DType::kOther;
};

class H5File {
 public:
  enum class Mode { kRead, kCreate };  // kCreate truncates
  H5File(const std::string& path, Mode mode);
  ~H5File();
  H5File(const H5File&) = delete;
  H5File& operator=(const H5File&) = delete;

  const std::string& path() const { return path_; }
  bool exists(const std::string& object) const;  // "/train/x"; intermediate groups too
  void create_group(const std::string& group);   // with missing parents
  bool is_group(const std::string& object) const;
  DatasetInfo info(const std::string& dataset) const;

  // Writes a whole dataset; chunk_rows > 0 chunks along the first axis (and compresses).
  void write(const std::string& dataset, const std::vector<int64_t>& dims, const float* data,
             int64_t chunk_rows = 0);
  void write(const std::string& dataset, const std::vector<int64_t>& dims, const uint8_t* data,
             int64_t chunk_rows = 0);
  void write(const std::string& dataset, const std::vector<int64_t>& dims, const int32_t* data,
             int64_t chunk_rows = 0);
  void write(const std::string& dataset, const std::vector<int64_t>& dims, const double* data,
             int64_t chunk_rows = 0);

  // Reads rows [row0, row0 + rows) of a dataset (all of it with rows = -1), converting to the
  // requested type.
  void read(const std::string& dataset, float* out, int64_t row0 = 0, int64_t rows = -1) const;
  void read(const std::string& dataset, uint8_t* out, int64_t row0 = 0, int64_t rows = -1) const;
  void read(const std::string& dataset, int32_t* out, int64_t row0 = 0, int64_t rows = -1) const;
  void read(const std::string& dataset, double* out, int64_t row0 = 0, int64_t rows = -1) const;

  // Attributes on a group or dataset ("/" for the root).
  void set_attr(const std::string& object, const std::string& name, const std::string& value);
  void set_attr(const std::string& object, const std::string& name, double value);
  void set_attr(const std::string& object, const std::string& name, int64_t value);
  void set_attr(const std::string& object, const std::string& name, const std::vector<std::string>& values);
  bool has_attr(const std::string& object, const std::string& name) const;
  std::string attr_string(const std::string& object, const std::string& name) const;
  double attr_double(const std::string& object, const std::string& name) const;
  int64_t attr_int(const std::string& object, const std::string& name) const;
  std::vector<std::string> attr_strings(const std::string& object, const std::string& name) const;

  // Names of the attributes of a group or dataset.
  std::vector<std::string> attr_names(const std::string& object) const;
  // Names of the members of a group.
  std::vector<std::string> members(const std::string& group) const;
  // The arrays at `object`: itself, or the members of the group it is (as paths); none when
  // it does not exist.
  std::vector<std::string> arrays(const std::string& object) const;
  void flush();

 private:
  int64_t id_ = -1;  // hid_t
  std::string path_;
};

// The files a dataset argument names: a path, a glob ('shards/train-*.h5', its matches sorted)
// or a comma-separated list of either, in that order. A glob matching nothing is an error
// naming it; a plain path is returned as it is (opening it names what is wrong).
std::vector<std::string> dataset_files(const std::string& spec);

// Writes through `write_fn` to PATH.tmp, then renames over PATH: a crash never leaves a
// half-written file where a good one was. `before_rename` runs after the file is flushed to
// disk and just before the rename (the checkpoint writer's fault-injection hook).
template <typename Fn>
void write_atomically(const std::string& path, Fn&& write_fn);
template <typename Fn, typename Hook>
void write_atomically(const std::string& path, Fn&& write_fn, Hook&& before_rename);
void rename_file(const std::string& from, const std::string& to);
// fsync: the file's bytes are on disk before it is renamed into place.
void sync_file(const std::string& path);

template <typename Fn, typename Hook>
void write_atomically(const std::string& path, Fn&& write_fn, Hook&& before_rename) {
  const std::string tmp = path + ".tmp";
  {
    H5File f(tmp, H5File::Mode::kCreate);
    write_fn(f);
    f.flush();
  }
  sync_file(tmp);
  before_rename();
  rename_file(tmp, path);
}
template <typename Fn>
void write_atomically(const std::string& path, Fn&& write_fn) {
  write_atomically(path, std::forward<Fn>(write_fn), [] {});
}

}  // namespace tandem::io
