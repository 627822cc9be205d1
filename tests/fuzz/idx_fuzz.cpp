// The IDX converter's reader (data::read_idx; gzip-compressed or not): any file is an array
// whose bytes match its dimensions, or an Error naming the file.
#include "fuzz_support.hpp"
#include "tandem/data/idx.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const tandem::fuzz::ScratchFile idx(data, size, "-idx3-ubyte");
  tandem::fuzz::expect_clear_errors([&] {
    const auto array = tandem::data::read_idx(idx.path());
    int64_t count = 1;
    for (const int64_t d : array.dims) count *= d;
    tandem::fuzz::require(static_cast<int64_t>(array.data.size()) == count, "data size differs from dims");
  });
  return 0;
}
