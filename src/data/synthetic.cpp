#include "tandem/data/synthetic.hpp"

#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "tandem/core/error.hpp"
#include "tandem/core/rng.hpp"
#include "tandem/core/strings.hpp"

namespace tandem::data {

namespace {

// The first counter word of each stream, so prototypes, noise and row orders never share values.
enum Stream : uint32_t { kPrototype = 0, kTrainNoise = 1, kTestNoise = 2, kTrainOrder = 3, kTestOrder = 4 };

constexpr int64_t kMaxRows = std::numeric_limits<int32_t>::max();  // row numbers key 32-bit counters

// One split: `counts[c]` rows of class c in a seeded shuffled order; row r is its class's
// prototype plus noise keyed by (seed, split, r).
TableSplit make_split(const SyntheticOptions& o, const std::vector<float>& prototypes,
                      const std::vector<int64_t>& counts, Stream noise, Stream order) {
  TableSplit s;
  s.rows = std::accumulate(counts.begin(), counts.end(), int64_t{0});
  TANDEM_USAGE_CHECK(s.rows <= kMaxRows, "convert synthetic: ", s.rows, " rows in one split; at most ",
                     kMaxRows, " are supported, lower --classes or the samples per class");
  s.labels.reserve(static_cast<size_t>(s.rows));
  for (int64_t c = 0; c < o.classes; ++c) s.labels.insert(s.labels.end(), counts[c], static_cast<int32_t>(c));
  Philox shuffle(o.seed, RngPurpose::kSynthetic, order);
  for (size_t i = s.labels.size(); i > 1; --i) std::swap(s.labels[i - 1], s.labels[shuffle.below(i)]);
  const int64_t d = o.features;
  s.x.resize(static_cast<size_t>(s.rows * d));
  for (int64_t r = 0; r < s.rows; ++r) {
    Philox rng(o.seed, RngPurpose::kSynthetic, noise, static_cast<uint32_t>(r));
    const float* p = prototypes.data() + s.labels[r] * d;
    float* x = s.x.data() + r * d;
    for (int64_t k = 0; k < d; ++k) x[k] = p[k] + static_cast<float>(o.noise * rng.normal());
  }
  return s;
}

}  // namespace

void check_synthetic(const SyntheticOptions& o) {
  TANDEM_USAGE_CHECK(o.classes >= 2 && o.classes <= kMaxRows, "convert synthetic: --classes must be in [2, ",
                     kMaxRows, "], got ", o.classes);
  TANDEM_USAGE_CHECK(o.features >= 1,
                     "convert synthetic: --features (the length of a sample) must be at least 1, got ",
                     o.features);
  TANDEM_USAGE_CHECK(o.train_per_class >= 1, "convert synthetic: --train-per-class must be at least 1, got ",
                     o.train_per_class);
  TANDEM_USAGE_CHECK(o.test_per_class >= 1, "convert synthetic: --test-per-class must be at least 1, got ",
                     o.test_per_class);
  TANDEM_USAGE_CHECK(std::isfinite(o.noise) && o.noise >= 0,
                     "convert synthetic: --noise (the standard deviation around a class prototype) must be a "
                     "finite value >= 0, got ",
                     o.noise);
  TANDEM_USAGE_CHECK(
      std::isfinite(o.zipf) && o.zipf >= 0 && o.zipf <= 10,
      "convert synthetic: --zipf must be in [0, 10] (0: the same count for every class; 1: counts "
      "proportional to 1/(c+1)), got ",
      o.zipf);
}

std::vector<int64_t> synthetic_train_counts(const SyntheticOptions& o) {
  check_synthetic(o);
  std::vector<int64_t> counts(static_cast<size_t>(o.classes), o.train_per_class);
  if (o.zipf == 0) return counts;
  std::vector<double> weight(counts.size());
  for (size_t c = 0; c < weight.size(); ++c) weight[c] = std::pow(static_cast<double>(c + 1), -o.zipf);
  const double total = std::accumulate(weight.begin(), weight.end(), 0.0);
  const double rows = static_cast<double>(o.classes) * static_cast<double>(o.train_per_class);
  for (size_t c = 0; c < weight.size(); ++c)
    counts[c] = std::max<int64_t>(1, std::llround(rows * weight[c] / total));
  return counts;
}

std::vector<float> synthetic_prototype(const SyntheticOptions& o, int64_t c) {
  Philox rng(o.seed, RngPurpose::kSynthetic, kPrototype, static_cast<uint32_t>(c));
  std::vector<float> p(static_cast<size_t>(o.features));
  for (auto& v : p) v = static_cast<float>(rng.normal());
  return p;
}

Table synthetic_table(const SyntheticOptions& o) {
  check_synthetic(o);
  std::vector<float> prototypes;  // [classes, features]
  prototypes.reserve(static_cast<size_t>(o.classes * o.features));
  for (int64_t c = 0; c < o.classes; ++c) {
    const auto p = synthetic_prototype(o, c);
    prototypes.insert(prototypes.end(), p.begin(), p.end());
  }
  Table t;
  t.sample_shape = {o.features};
  t.classes.reserve(static_cast<size_t>(o.classes));
  for (int64_t c = 0; c < o.classes; ++c) t.classes.push_back("c" + std::to_string(c));
  t.splits["train"] = make_split(o, prototypes, synthetic_train_counts(o), kTrainNoise, kTrainOrder);
  const std::vector<int64_t> test_counts(static_cast<size_t>(o.classes), o.test_per_class);
  t.splits["test"] = make_split(o, prototypes, test_counts, kTestNoise, kTestOrder);
  t.source = "tandem convert synthetic --classes " + std::to_string(o.classes) + " --features " +
             std::to_string(o.features) + " --train-per-class " + std::to_string(o.train_per_class) +
             " --test-per-class " + std::to_string(o.test_per_class) + " --noise " + format_number(o.noise) +
             " --zipf " + format_number(o.zipf) + " --seed " + std::to_string(o.seed);
  return t;
}

}  // namespace tandem::data
