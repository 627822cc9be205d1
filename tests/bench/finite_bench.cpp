// The cost of checking float inputs for NaN and infinity (README "Errors"): a dataset's
// uint8 inputs rewritten as float32 (contiguous, the layout to stream from), then
//   load:   Dataset::load of the train split in memory, with and without the check;
//   stream: every train row read in shuffled batches of 128 from the file, with and without;
//   kernel: the check alone over the loaded inputs.
// Medians of REPEATS runs, one JSON line each. Usage: bench_finite DATA.h5 OUT_FLOAT.h5 [REPEATS]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <random>
#include <vector>

#include "tandem/data/dataset.hpp"
#include "tandem/io/h5.hpp"
#include "tandem/tensor/kernels.hpp"

using namespace tandem;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

template <class F>
double median_seconds(int repeats, F run) {
  std::vector<double> t;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    run();
    t.push_back(seconds_since(t0));
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

// Both splits, so that `tandem train` can run on the copy too.
void write_float_copy(const std::string& from, const std::string& to) {
  io::H5File f(to, io::H5File::Mode::kCreate);
  for (const std::string split : {"train", "test"}) {
    const auto d = data::Dataset::load(from, split);
    const int64_t n = d.size(), w = d.sample_numel();
    std::vector<float> x(n * w);
    d.input_rows(0, nullptr, 0, n, x.data());
    std::vector<int64_t> dims{n};
    for (int i = 0; i < d.sample_shape().rank(); ++i) dims.push_back(d.sample_shape()[i]);
    f.write("/" + split + "/x", dims, x.data());
    f.write("/" + split + "/y", {n}, d.labels().data());
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s DATA.h5 OUT_FLOAT.h5 [REPEATS]\n", argv[0]);
    return 2;
  }
  const std::string path = argv[2];
  const int repeats = argc > 3 ? std::atoi(argv[3]) : 5;
  write_float_copy(argv[1], path);
  for (bool check : {true, false}) {
    const double s = median_seconds(
        repeats, [&] { data::Dataset::load(path, "train", 0, data::DataMode::kMemory, 0, nullptr, check); });
    std::printf("{\"what\": \"load\", \"check\": %s, \"seconds\": %.4f}\n", check ? "true" : "false", s);
  }
  const auto mem = data::Dataset::load(path, "train");
  const int64_t n = mem.size(), w = mem.sample_numel();
  const double k = median_seconds(repeats, [&] {
    if (kernels::first_nonfinite(mem.inputs()[0].f32.data(), n * w) >= 0) std::abort();
  });
  std::printf("{\"what\": \"kernel\", \"values\": %ld, \"seconds\": %.4f, \"gb_per_s\": %.2f}\n",
              static_cast<long>(n * w), k, 4.0 * static_cast<double>(n * w) / k / 1e9);
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937_64(1));
  std::vector<float> batch(128 * w);
  for (bool check : {true, false}) {
    const auto d = data::Dataset::load(path, "train", 0, data::DataMode::kStream, 0, nullptr, check);
    const double s = median_seconds(repeats, [&] {
      for (int64_t b = 0; b < n; b += 128)
        d.input_rows(0, order.data() + b, 0, std::min<int64_t>(128, n - b), batch.data());
    });
    std::printf("{\"what\": \"stream\", \"check\": %s, \"seconds\": %.4f, \"rows_per_s\": %.0f}\n",
                check ? "true" : "false", s, static_cast<double>(n) / s);
  }
  return 0;
}
