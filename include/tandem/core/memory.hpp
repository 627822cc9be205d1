#pragma once
// Memory the machine can give, for refusing an allocation it cannot satisfy before trying:
// with overcommit a too-large vector may be granted and then filled until the OOM killer
// ends the job, or fail as a bare std::bad_alloc naming nothing.
#include <cstdint>
#include <initializer_list>
#include <new>
#include <string>

namespace tandem {

// MemAvailable plus SwapFree of /proc/meminfo, in bytes (available physical pages where
// /proc is missing); -1 when unknown.
int64_t available_memory_bytes();

// "1.5 GiB", "12.0 MiB", "512 bytes".
std::string format_bytes(double bytes);

// The product of the factors, or -1 when it overflows int64 (or a factor is negative).
int64_t checked_product(std::initializer_list<int64_t> factors);
// The same for a sum; -1 stays -1.
int64_t checked_sum(std::initializer_list<int64_t> terms);

// Whether `bytes` (>= 0) fit in the available memory (true when that is unknown).
bool fits_in_memory(int64_t bytes);

// Throws tandem::Error: "<what> need <bytes>, but this machine has <M> available (memory and
// swap); <fix>". bytes < 0 stands for an overflowed size.
[[noreturn]] void throw_out_of_memory(int64_t bytes, const std::string& what, const std::string& fix);

// Runs `allocate` (vector resizes) once `bytes` are known to fit, and explains a refusal or a
// std::bad_alloc with throw_out_of_memory.
template <class F>
void allocate_or_explain(int64_t bytes, const std::string& what, const std::string& fix, F allocate) {
  if (!fits_in_memory(bytes)) throw_out_of_memory(bytes, what, fix);
  try {
    allocate();
  } catch (const std::bad_alloc&) {
    throw_out_of_memory(bytes, what, fix);
  }
}

}  // namespace tandem
