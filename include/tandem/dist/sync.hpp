#pragma once
// Keeping ranks in agreement: gradient summation, parameter broadcast and checksums.
#include <cstdint>
#include <span>
#include <string>

#include "tandem/dist/comm.hpp"

namespace tandem::dist {

// Sums the gradient arena over all ranks, in place. The loss gradient was already scaled by
// 1 / (samples in the global batch), so the sum is the gradient of the global mean loss.
void allreduce_gradients(Comm& comm, std::span<float> grads);

// Rank 0's values everywhere.
void broadcast_floats(Comm& comm, std::span<float> values);

// A 64-bit FNV-1a hash of the bytes, for cheap cross-rank comparison.
uint64_t checksum(const void* data, size_t bytes, uint64_t seed = 1469598103934665603ull);

// Throws naming `what` when the hash differs between ranks (must be called on all ranks).
void require_same(Comm& comm, uint64_t hash, const std::string& what);

}  // namespace tandem::dist
