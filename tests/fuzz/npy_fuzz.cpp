// The NumPy converter: data::read_npy on any file (then every element read back), and
// data::npy_table with the file as both x and y. Any file is an array or an Error.
#include <algorithm>

#include "fuzz_support.hpp"
#include "tandem/data/npy.hpp"
#include "tandem/data/table.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const tandem::fuzz::ScratchFile npy(data, size, ".npy");
  tandem::fuzz::expect_clear_errors([&] {
    const auto array = tandem::data::read_npy(npy.path());
    const int64_t count = array.count();
    tandem::fuzz::require(count >= 0 && static_cast<int64_t>(array.bytes.size()) == count * array.item,
                          "the bytes read do not match the shape and item size");
    double sum = 0;
    for (int64_t i = 0; i < std::min<int64_t>(count, 4096); ++i) sum += array.at(i);
    (void)sum;
  });
  tandem::fuzz::expect_clear_errors([&] {
    tandem::data::NpyOptions options;
    options.x = options.y = npy.path();
    options.test_fraction = 0.5;
    const auto table = tandem::data::npy_table(options);
    for (const auto& [name, split] : table.splits)
      tandem::fuzz::require(static_cast<int64_t>(split.x.size()) == split.rows * table.sample_size(),
                            "split " + name + ": x does not hold rows x sample size values");
  });
  return 0;
}
