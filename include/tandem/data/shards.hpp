#pragma once
// `tandem convert shards`: a dataset split into several files of one layout, for datasets read
// from many files (--data 'PREFIX-*.h5') and for streaming. Shard s of S holds rows
// [s N / S, (s + 1) N / S) of every split (each split's N of its own), so the files read in
// order are the original dataset. Arrays are written contiguous and uncompressed: the layout
// a streamed read takes directly from the file (one pread per run of rows), where compressed
// chunks are decompressed whole for every row a batch takes from them.
#include <cstdint>
#include <string>
#include <vector>

namespace tandem::data {

// Writes PREFIX-0.h5 ... (numbers zero-padded to the width of shards - 1) and returns their
// paths; each is written to a temporary name and renamed into place.
std::vector<std::string> write_shards(const std::string& from, int64_t shards, const std::string& prefix);

}  // namespace tandem::data
