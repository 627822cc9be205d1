#include <algorithm>
#include <string>

#include "tandem/core/error.hpp"
#include "tandem/dist/sync.hpp"

namespace tandem::dist {

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

namespace tandem::dist {

void require_same_options(Comm& comm, const std::map<std::string, std::string>& options) {
  std::string keys, all;
  for (const auto& [k, v] : options) {
    keys += k + ";";
    all += k + "=" + v + ";";
  }
  require_same(comm, checksum(keys.data(), keys.size()), "the set of options");
  const auto hashes = comm.allgather(checksum(all.data(), all.size()));
  if (std::all_of(hashes.begin(), hashes.end(), [&](uint64_t h) { return h == hashes[0]; })) return;
  // Same keys everywhere (checked above), so every rank walks the same collectives here.
  for (const auto& [k, v] : options) {
    const auto per_key = comm.allgather(checksum(v.data(), v.size()));
    for (size_t r = 1; r < per_key.size(); ++r)
      TANDEM_CHECK(per_key[r] == per_key[0], "ranks disagree on option --", k, ": rank ", r,
                   " differs from rank 0 (rank ", comm.rank(), " has '", v,
                   "'); start every rank with the same options and files");
  }
}

}  // namespace tandem::dist
