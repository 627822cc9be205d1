#include "tandem/data/pairs.hpp"

#include <algorithm>
#include <numeric>
#include <vector>

#include "tandem/core/error.hpp"
#include "tandem/core/rng.hpp"
#include "tandem/data/dataset.hpp"
#include "tandem/io/h5.hpp"

namespace tandem::data {

void make_pairs(const std::string& from, const std::string& out, uint64_t seed, int64_t limit) {
  io::H5File src(from, io::H5File::Mode::kRead);
  TANDEM_USAGE_CHECK(
      src.has_attr("/", "classes"), "'", from,
      "' has no 'classes' attribute; pairs need the class count (convert it with tandem convert idx)");
  const auto classes = src.attr_strings("/", "classes");
  const auto k = static_cast<int64_t>(classes.size());
  std::vector<std::string> splits;
  for (const char* s : {"train", "val", "test"})
    if (src.exists(std::string("/") + s)) splits.push_back(s);
  std::vector<Dataset> sets;
  for (size_t s = 0; s < splits.size(); ++s) {
    sets.push_back(Dataset::load(from, splits[s], limit));
    const auto& x = sets.back().inputs();
    TANDEM_USAGE_CHECK(x.size() == 1 && x[0].type == Field::Type::kUint8 &&
                           sets.back().targets().size() == 1 && sets.back().targets()[0].is_labels(),
                       "'", from, "' /", splits[s],
                       " must hold one uint8 image array and class indices to pair");
    TANDEM_USAGE_CHECK(sets.back().max_label() < k, "'", from, "' /", splits[s], " has label ",
                       sets.back().max_label(), " but only ", k, " class names");
  }
  io::write_atomically(out, [&](io::H5File& f) {
    for (size_t s = 0; s < splits.size(); ++s) {
      const Dataset& d = sets[s];
      const Field& img = d.inputs()[0];
      const int64_t n = d.size(), w = img.width();
      // The partner of sample i: a permutation, so every image appears once on each side.
      std::vector<int64_t> partner(static_cast<size_t>(n));
      std::iota(partner.begin(), partner.end(), 0);
      Philox rng(seed, RngPurpose::kShuffle, static_cast<uint32_t>(s), 0x70616972);  // "pair"
      for (int64_t i = n - 1; i > 0; --i)
        std::swap(partner[i], partner[static_cast<int64_t>(rng.below(static_cast<uint64_t>(i + 1)))]);
      std::vector<uint8_t> right(static_cast<size_t>(n * w));
      std::vector<int32_t> right_y(static_cast<size_t>(n));
      std::vector<float> present(static_cast<size_t>(n * k), 0.0f);
      const auto& y = d.labels();
      for (int64_t i = 0; i < n; ++i) {
        std::copy_n(img.u8.data() + partner[i] * w, w, right.data() + i * w);
        right_y[i] = y[partner[i]];
        present[i * k + y[i]] = present[i * k + right_y[i]] = 1.0f;
      }
      std::vector<int64_t> dims{n};
      for (int64_t e : img.shape.dims()) dims.push_back(e);
      const std::string g = "/" + splits[s];
      f.write(g + "/x/left", dims, img.u8.data(), 1024);
      f.write(g + "/x/right", dims, right.data(), 1024);
      f.set_attr(g + "/x/left", "scale", static_cast<double>(img.scale));
      f.set_attr(g + "/x/right", "scale", static_cast<double>(img.scale));
      f.write(g + "/y/left", {n}, y.data(), 1024 * 64);
      f.write(g + "/y/right", {n}, right_y.data(), 1024 * 64);
      f.write(g + "/y/present", {n, k}, present.data(), 1024 * 8);
    }
    f.set_attr("/", "format", std::string("tandem-dataset"));
    f.set_attr("/", "version", int64_t{1});
    f.set_attr("/", "source", "image pairs of " + from);
    f.set_attr("/", "classes", classes);
  });
}

}  // namespace tandem::data
