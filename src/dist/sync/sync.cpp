#include <string>

#include "tandem/core/error.hpp"
#include "tandem/dist/sync.hpp"

namespace tandem::dist {

void allreduce_gradients(Comm& comm, std::span<float> grads) {
  if (comm.size() > 1) comm.allreduce_sum(grads.data(), static_cast<int64_t>(grads.size()));
}

void broadcast_floats(Comm& comm, std::span<float> values) {
  if (comm.size() > 1) comm.broadcast(values.data(), static_cast<int64_t>(values.size_bytes()), 0);
}

uint64_t checksum(const void* data, size_t bytes, uint64_t h) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < bytes; ++i) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

void require_same(Comm& comm, uint64_t hash, const std::string& what) {
  const auto all = comm.allgather(hash);
  for (size_t r = 1; r < all.size(); ++r)
    TANDEM_CHECK(all[r] == all[0], "ranks disagree on ", what, ": rank ", r, " differs from rank 0; ",
                 "every rank must be started with the same files and options");
}

}  // namespace tandem::dist
