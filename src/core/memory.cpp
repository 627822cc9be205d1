#include "tandem/core/memory.hpp"

#include <unistd.h>

#include <fstream>
#include <limits>
#include <new>
#include <sstream>

#include "tandem/core/error.hpp"

namespace tandem {

int64_t available_memory_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  int64_t kib = 0, total = 0;
  bool known = false;
  while (in >> key >> kib) {
    if (key == "MemAvailable:" || key == "SwapFree:") {
      total += kib * 1024;
      known = true;
    }
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  if (known) return total;
  const long pages = sysconf(_SC_AVPHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? int64_t{pages} * page : -1;
}

std::string format_bytes(double bytes) {
  static const char* const kUnits[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int u = 0;
  while (bytes >= 1024.0 && u < 6) {
    bytes /= 1024.0;
    ++u;
  }
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(u == 0 ? 0 : 1);
  out << bytes << " " << kUnits[u];
  return out.str();
}

int64_t checked_product(std::initializer_list<int64_t> factors) {
  int64_t p = 1;
  for (int64_t f : factors)
    if (f < 0 || __builtin_mul_overflow(p, f, &p)) return -1;
  return p;
}

int64_t checked_sum(std::initializer_list<int64_t> terms) {
  int64_t s = 0;
  for (int64_t t : terms)
    if (t < 0 || __builtin_add_overflow(s, t, &s)) return -1;
  return s;
}

bool fits_in_memory(int64_t bytes) {
  if (bytes < 0) return false;  // an overflowed size
  const int64_t available = available_memory_bytes();
  return available < 0 || bytes <= available;
}

void throw_out_of_memory(int64_t bytes, const std::string& what, const std::string& fix) {
  const int64_t available = available_memory_bytes();
  throw Error(detail::concat(what, " need ", bytes < 0 ? std::string("more than 8 EiB") : format_bytes(bytes),
                             ", but this machine has ",
                             available < 0 ? std::string("less") : format_bytes(available),
                             " available (memory and swap); ", fix));
}

}  // namespace tandem
