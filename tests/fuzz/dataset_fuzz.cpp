// The dataset loader (data::Dataset::load, in memory and streamed through io::RowReader) on
// files it builds from the fuzz input with tandem's own HDF5 writer: valid HDF5 whose layout is
// fuzzed (arrays or groups of them, types, ranks, shapes, row counts, chunking, the `scale`
// and `classes` attributes, one file or two shards). Every load either fails with an Error or
// gives a dataset whose every row reads back. Mutating the bytes of whole files is
// dataset_raw_fuzz.cpp.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <memory>

#include "fuzz_support.hpp"
#include "tandem/data/dataset.hpp"
#include "tandem/io/h5.hpp"

namespace {

using tandem::io::H5File;

// One array of fuzzed type, shape and values at `object`.
void write_array(H5File& f, const std::string& object, FuzzedDataProvider& in) {
  const int rank = in.ConsumeIntegralInRange(0, 4);
  std::vector<int64_t> dims;
  for (int d = 0; d < rank; ++d) dims.push_back(in.ConsumeIntegralInRange<int64_t>(0, d == 0 ? 6 : 3));
  int64_t n = 1;
  for (const int64_t d : dims) n *= d;
  const int64_t chunk = dims.empty() || dims[0] == 0 ? 0 : in.ConsumeIntegralInRange<int64_t>(0, dims[0]);
  switch (in.ConsumeIntegralInRange(0, 3)) {
    case 0: {
      std::vector<uint8_t> v(n);
      for (auto& x : v) x = in.ConsumeIntegral<uint8_t>();
      f.write(object, dims, v.data(), chunk);
      if (in.ConsumeBool()) f.set_attr(object, "scale", in.ConsumeFloatingPoint<double>());
      break;
    }
    case 1: {
      std::vector<float> v(n);
      for (auto& x : v) x = in.ConsumeFloatingPoint<float>();
      f.write(object, dims, v.data(), chunk);
      break;
    }
    case 2: {
      std::vector<int32_t> v(n);
      for (auto& x : v) x = in.ConsumeIntegralInRange<int32_t>(-2, 12);
      f.write(object, dims, v.data(), chunk);
      break;
    }
    default: {
      std::vector<double> v(n);
      for (auto& x : v) x = in.ConsumeFloatingPoint<double>();
      f.write(object, dims, v.data(), chunk);
    }
  }
  if (in.ConsumeIntegralInRange(0, 7) == 0) f.set_attr(object, "scale", in.ConsumeRandomLengthString(8));
}

// /train/x or /train/y: absent, one array, or a group of 0-2 arrays.
void write_part(H5File& f, const std::string& object, FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange(0, 5)) {
    case 0: return;
    case 1:
      f.create_group(object);
      for (int i = in.ConsumeIntegralInRange(0, 2); i > 0; --i)
        write_array(f, object + "/a" + std::to_string(i), in);
      return;
    default: write_array(f, object, in);
  }
}

void write_file(const std::string& path, FuzzedDataProvider& in) {
  H5File f(path, H5File::Mode::kCreate);
  f.create_group("/train");
  write_part(f, "/train/x", in);
  write_part(f, "/train/y", in);
  if (in.ConsumeBool()) {
    std::vector<std::string> classes(in.ConsumeIntegralInRange(0, 3));
    for (auto& c : classes) c = in.ConsumeRandomLengthString(6);
    f.set_attr("/", "classes", classes);
  }
}

// Every row of every input and target, in order and through a shuffled index.
void read_everything(const tandem::data::Dataset& d, FuzzedDataProvider& in) {
  const int64_t n = d.size();
  std::vector<int64_t> idx(n);
  for (int64_t i = 0; i < n; ++i) idx[i] = in.ConsumeIntegralInRange<int64_t>(0, n - 1);
  for (size_t i = 0; i < d.inputs().size(); ++i) {
    std::vector<float> x(n * d.inputs()[i].width());
    d.input_rows(static_cast<int>(i), nullptr, 0, n, x.data());
    d.input_rows(static_cast<int>(i), idx.data(), 0, n, x.data());
  }
  for (size_t j = 0; j < d.targets().size(); ++j) {
    const auto& t = d.targets()[j];
    std::vector<int32_t> labels(t.is_labels() ? n : 0);
    std::vector<float> values(t.is_labels() ? 0 : n * t.width());
    d.target_rows(static_cast<int>(j), idx.data(), 0, n, labels.data(), values.data());
  }
  tandem::fuzz::require(static_cast<int64_t>(d.labels().size()) == n,
                        "labels() has another size than the dataset");
  if (n > 0) (void)d.max_label();
  const auto part = d.subset(std::vector<int64_t>(idx.begin(), idx.begin() + n / 2));
  tandem::fuzz::require(part.size() == n / 2, "subset has another size than asked");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const bool two_shards = in.ConsumeBool();
  const auto mode = in.ConsumeBool() ? tandem::data::DataMode::kStream : tandem::data::DataMode::kMemory;
  const int64_t limit = in.ConsumeIntegralInRange<int64_t>(0, 8);
  std::vector<std::unique_ptr<tandem::fuzz::ScratchFile>> files;
  std::string paths;
  for (int i = 0; i < (two_shards ? 2 : 1); ++i) {
    files.push_back(std::make_unique<tandem::fuzz::ScratchFile>(".h5"));
    // The writer's own refusals (a chunked empty array, say) are not the loader's business.
    if (!tandem::fuzz::expect_clear_errors([&] { write_file(files.back()->path(), in); })) return 0;
    paths += (i ? "," : "") + files.back()->path();
  }
  tandem::fuzz::expect_clear_errors([&] {
    const auto d = tandem::data::Dataset::load(paths, "train", limit, mode);
    tandem::fuzz::require(d.streamed() == (mode == tandem::data::DataMode::kStream), "data mode not kept");
    read_everything(d, in);
  });
  return 0;
}
