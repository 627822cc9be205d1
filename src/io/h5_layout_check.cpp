#include "h5_layout_check.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include "h5_handles.hpp"
#include "tandem/core/error.hpp"

namespace tandem::io::hdf5 {
namespace {

// A compressed chunk can be this many times smaller than its data and no more: deflate's limit
// is about 1032:1, so 4096:1 leaves room for the other filters.
constexpr uint64_t kMaxCompression = 4096;
// HDF5 stores a chunk's size in 32 bits.
constexpr uint64_t kMaxChunkBytes = (uint64_t{1} << 32) - 1;

std::string dims_str(const std::vector<hsize_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

// The product of the dims times `bytes`, or UINT64_MAX when it overflows.
uint64_t size_of(const std::vector<hsize_t>& dims, uint64_t bytes) {
  uint64_t p = bytes;
  for (hsize_t d : dims)
    if (__builtin_mul_overflow(p, static_cast<uint64_t>(d), &p)) return UINT64_MAX;
  return p;
}

}  // namespace

void check_stored_layout(hid_t dataset, const std::string& file, const std::string& name) {
  auto damaged = [&](const std::string& why) {
    return detail::concat("'", name, "' in '", file, "' is damaged: ", why,
                          "; copy or convert the file again");
  };
  Space space{H5Dget_space(dataset)};
  const int rank = H5Sget_simple_extent_ndims(space.id);
  if (rank <= 0) return;  // scalar or unreadable: the readers name what is wrong
  std::vector<hsize_t> dims(rank), max_dims(rank);
  H5Sget_simple_extent_dims(space.id, dims.data(), max_dims.data());
  for (int i = 0; i < rank; ++i)
    TANDEM_CHECK(
        max_dims[i] == H5S_UNLIMITED || dims[i] <= max_dims[i],
        damaged("its shape " + dims_str(dims) + " is larger than its maximum shape " + dims_str(max_dims)));

  Plist create{H5Dget_create_plist(dataset)};
  if (create.id < 0) return;
  const H5D_layout_t layout = H5Pget_layout(create.id);
  Type type{H5Dget_type(dataset)};
  const bool variable_size = H5Tget_class(type.id) == H5T_VLEN || H5Tis_variable_str(type.id) > 0;
  const uint64_t element = H5Tget_size(type.id);
  if (layout == H5D_CHUNKED) {
    std::vector<hsize_t> chunk(rank, 0);
    TANDEM_CHECK(H5Pget_chunk(create.id, rank, chunk.data()) == rank,
                 damaged("its chunk shape is unreadable"));
    for (int i = 0; i < rank; ++i)
      TANDEM_CHECK(
          chunk[i] >= 1 && (max_dims[i] == H5S_UNLIMITED || chunk[i] <= max_dims[i]),
          damaged("its chunks " + dims_str(chunk) + " do not fit its maximum shape " + dims_str(max_dims)));
    TANDEM_CHECK(size_of(chunk, element) <= kMaxChunkBytes,
                 damaged("its chunks " + dims_str(chunk) + " are larger than HDF5's 4 GiB limit"));
  }
  // Stored bytes against needed bytes. Data kept outside the file (external files, virtual
  // datasets) and variable-length elements (stored on a heap) are not counted here.
  if (variable_size || layout == H5D_VIRTUAL || H5Pget_external_count(create.id) > 0) return;
  const uint64_t needed = size_of(dims, element);
  if (needed == 0) return;
  const uint64_t stored = H5Dget_storage_size(dataset);
  const bool filtered = H5Pget_nfilters(create.id) > 0;
  const bool enough = filtered ? stored > 0 && needed / kMaxCompression <= stored : stored >= needed;
  TANDEM_CHECK(enough,
               damaged("its shape " + dims_str(dims) + " needs " +
                       (needed == UINT64_MAX ? std::string("more than 2^64") : std::to_string(needed)) +
                       " bytes but the file stores " + std::to_string(stored) + " for it" +
                       (filtered ? ", too few for any compression" : "") +
                       " (or the array was created larger than the data written to it)"));
}

}  // namespace tandem::io::hdf5
