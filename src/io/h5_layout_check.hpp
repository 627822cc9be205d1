#pragma once
// Whether a dataset's stored layout can hold the shape it claims. Private to src/io.
#include <hdf5.h>

#include <string>

namespace tandem::io::hdf5 {

// Throws tandem::Error naming the dataset and the file when its layout is damaged: a shape
// larger than its maximum shape, chunks larger than the shape allows or than HDF5 can store,
// or fewer bytes stored than the shape needs (more than any compression explains). Called
// before anything sizes a buffer from the shape or asks libhdf5 to read it: libhdf5 1.10.8
// trusts a damaged layout, reading out of bounds or allocating and filling what the shape says.
void check_stored_layout(hid_t dataset, const std::string& file, const std::string& name);

}  // namespace tandem::io::hdf5
