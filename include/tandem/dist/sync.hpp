#pragma once
// Keeping ranks in agreement: gradient summation, parameter broadcast and checksums.
#include <cstdint>
#include <map>
#include <span>
#include <string>

#include "tandem/dist/comm.hpp"

namespace tandem::dist {

// Rank 0's values everywhere.
void broadcast_floats(Comm& comm, std::span<float> values);

// A 64-bit FNV-1a hash of the bytes, for cheap cross-rank comparison.
uint64_t checksum(const void* data, size_t bytes, uint64_t seed = 14695981039346656037ull);

// Throws naming `what` when the hash differs between ranks (must be called on all ranks).
void require_same(Comm& comm, uint64_t hash, const std::string& what);

// Throws naming the first option whose value differs between ranks (all ranks call it).
void require_same_options(Comm& comm, const std::map<std::string, std::string>& options);

}  // namespace tandem::dist
