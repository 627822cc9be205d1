#pragma once
// RAII closers for HDF5 ids, shared by the io module's HDF5 files (h5.cpp, h5_dataset.cpp,
// h5_attribute.cpp). Private to src/io: <hdf5.h> stays behind the io module.
#include <hdf5.h>

namespace tandem::io::hdf5 {

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

}  // namespace tandem::io::hdf5
