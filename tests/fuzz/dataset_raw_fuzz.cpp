// The dataset loader (data::Dataset::load, in memory and streamed) on mutated bytes of valid
// dataset files (corpus/dataset_raw/). libhdf5's own parsing of damaged files is not tandem's
// code: crashes inside libhdf5 are documented in README "Fuzzing", not fixed here.
#include <algorithm>

#include "fuzz_support.hpp"
#include "tandem/data/dataset.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const tandem::fuzz::ScratchFile h5(data, size, ".h5");
  // Rows are read a batch at a time, as training reads them: a streamed dataset's shape is
  // not bounded by memory.
  constexpr int64_t kBatch = 256;
  for (const auto mode : {tandem::data::DataMode::kMemory, tandem::data::DataMode::kStream}) {
    tandem::fuzz::expect_clear_errors([&] {
      const auto d = tandem::data::Dataset::load(h5.path(), "train", 0, mode);
      for (int64_t at = 0; at < d.size(); at += kBatch) {
        const int64_t n = std::min(kBatch, d.size() - at);
        for (size_t i = 0; i < d.inputs().size(); ++i) {
          std::vector<float> x(n * d.inputs()[i].width());
          d.input_rows(static_cast<int>(i), nullptr, at, n, x.data());
        }
        for (size_t j = 0; j < d.targets().size(); ++j) {
          const auto& t = d.targets()[j];
          std::vector<int32_t> labels(t.is_labels() ? n : 0);
          std::vector<float> values(t.is_labels() ? 0 : n * t.width());
          d.target_rows(static_cast<int>(j), nullptr, at, n, labels.data(), values.data());
        }
      }
    });
  }
  return 0;
}
