// Writes a small, linearly separable tandem dataset for the package test: 4 classes of
// 16 float features, the label of x being argmax_k w_k.x over 4 fixed random directions w_k,
// and only points whose best score beats the second best by at least kMargin kept (so a
// linear classifier can reach 100%). Classes are balanced. Same bytes on every machine:
// splitmix64, no <random> distributions.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "tandem/io/h5.hpp"

namespace {

constexpr int kClasses = 4, kFeatures = 16;
constexpr double kMargin = 0.5;

struct SplitMix64 {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53 * 2 - 1; }  // [-1, 1)
};

void write_split(tandem::io::H5File& f, const std::string& split, int64_t n,
                 const double (&w)[kClasses][kFeatures], SplitMix64& rng) {
  std::vector<float> x;
  std::vector<int32_t> y;
  for (int64_t i = 0; i < n; ++i) {
    const int want = static_cast<int>(i % kClasses);  // balanced, interleaved
    for (;;) {
      double p[kFeatures], score[kClasses];
      for (auto& v : p) v = rng.uniform();
      int best = 0;
      for (int k = 0; k < kClasses; ++k) {
        score[k] = 0;
        for (int j = 0; j < kFeatures; ++j) score[k] += w[k][j] * p[j];
        if (score[k] > score[best]) best = k;
      }
      double second = -INFINITY;
      for (int k = 0; k < kClasses; ++k)
        if (k != best) second = std::fmax(second, score[k]);
      if (best != want || score[best] - second < kMargin) continue;
      x.insert(x.end(), p, p + kFeatures);
      y.push_back(want);
      break;
    }
  }
  f.write("/" + split + "/x", {n, kFeatures}, x.data());
  f.write("/" + split + "/y", {n}, y.data());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_blobs OUT.h5\n");
    return 2;
  }
  SplitMix64 rng{12345};
  double w[kClasses][kFeatures];
  for (auto& row : w)
    for (auto& v : row) v = rng.uniform();
  tandem::io::H5File f(argv[1], tandem::io::H5File::Mode::kCreate);
  write_split(f, "train", 2000, w, rng);
  write_split(f, "test", 500, w, rng);
  f.set_attr("/", "format", std::string("tandem-dataset"));
  f.set_attr("/", "version", int64_t{1});
  f.set_attr("/", "source", std::string("tests/package/make_blobs.cpp (linearly separable, margin 0.5)"));
  f.set_attr("/", "classes", std::vector<std::string>{"a", "b", "c", "d"});
  return 0;
}
