#include "tandem/data/table.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "tandem/core/error.hpp"
#include "tandem/core/rng.hpp"
#include "tandem/io/h5.hpp"

namespace tandem::data {

int64_t Table::sample_size() const {
  return std::accumulate(sample_shape.begin(), sample_shape.end(), int64_t{1}, std::multiplies<>());
}

namespace {

// Rows `ids` of a split, in that order.
TableSplit pick(const TableSplit& s, const std::vector<int64_t>& ids, int64_t width, int64_t target_width) {
  TableSplit out;
  out.rows = static_cast<int64_t>(ids.size());
  for (const int64_t r : ids) {
    out.x.insert(out.x.end(), s.x.begin() + r * width, s.x.begin() + (r + 1) * width);
    if (target_width == 0)
      out.labels.push_back(s.labels[r]);
    else
      out.targets.insert(out.targets.end(), s.targets.begin() + r * target_width,
                         s.targets.begin() + (r + 1) * target_width);
  }
  return out;
}

void check_split(const Table& t, const std::string& name, const TableSplit& s) {
  const int64_t width = t.sample_size();
  TANDEM_USAGE_CHECK(s.rows > 0, "the ", name, " split is empty");
  TANDEM_CHECK(static_cast<int64_t>(s.x.size()) == s.rows * width, name, ": ", s.x.size(), " values for ",
               s.rows, " samples of ", width);
  if (t.target_width > 0) {
    TANDEM_CHECK(static_cast<int64_t>(s.targets.size()) == s.rows * t.target_width, name, ": target sizes");
    return;
  }
  TANDEM_CHECK(static_cast<int64_t>(s.labels.size()) == s.rows, name, ": ", s.labels.size(), " labels for ",
               s.rows, " samples");
  for (const int32_t y : s.labels)
    TANDEM_USAGE_CHECK(y >= 0 && y < static_cast<int32_t>(t.classes.size()), name, " split: label ", y,
                       " is outside the ", t.classes.size(), " classes");
}

}  // namespace

void hold_out(Table& t, double fraction, uint64_t seed) {
  TANDEM_USAGE_CHECK(fraction > 0 && fraction < 1, "--test-fraction must be in (0, 1), got ", fraction);
  TableSplit& train = t.splits.at("train");
  TANDEM_CHECK(t.target_width > 0 || static_cast<int64_t>(train.labels.size()) == train.rows,
               "hold_out: ", train.labels.size(), " labels for ", train.rows, " rows");
  // Per class (one group for vector targets), a seeded shuffle picks round(fraction n_c) rows.
  std::map<int32_t, std::vector<int64_t>> by_class;
  for (int64_t r = 0; r < train.rows; ++r) by_class[t.target_width == 0 ? train.labels[r] : 0].push_back(r);
  std::vector<char> held(static_cast<size_t>(train.rows), 0);
  Philox rng(seed, RngPurpose::kSplit);
  for (auto& [cls, rows] : by_class) {
    for (size_t i = rows.size(); i > 1; --i) std::swap(rows[i - 1], rows[rng.below(i)]);
    const auto take = static_cast<size_t>(std::llround(fraction * static_cast<double>(rows.size())));
    for (size_t i = 0; i < take; ++i) held[rows[i]] = 1;
  }
  std::vector<int64_t> keep, test;
  for (int64_t r = 0; r < train.rows; ++r) (held[r] ? test : keep).push_back(r);
  TANDEM_USAGE_CHECK(!test.empty() && !keep.empty(), "--test-fraction ", fraction, " of ", train.rows,
                     " rows leaves an empty split; use a fraction nearer 0.5 or more rows");
  const int64_t width = t.sample_size();
  t.splits["test"] = pick(train, test, width, t.target_width);
  train = pick(train, keep, width, t.target_width);
}

void write_table(const Table& t, const std::string& out_path) {
  TANDEM_USAGE_CHECK(t.splits.count("train") && t.splits.count("test"),
                     "a dataset needs a train and a test split");
  for (const auto& [name, s] : t.splits) check_split(t, name, s);
  io::write_atomically(out_path, [&](io::H5File& f) {
    for (const auto& [name, s] : t.splits) {
      const std::string g = "/" + name;
      f.create_group(g);
      std::vector<int64_t> dims{s.rows};
      dims.insert(dims.end(), t.sample_shape.begin(), t.sample_shape.end());
      f.write(g + "/x", dims, s.x.data(), 1024);
      if (t.target_width == 0)
        f.write(g + "/y", {s.rows}, s.labels.data(), 1024 * 64);
      else
        f.write(g + "/y", {s.rows, t.target_width}, s.targets.data(), 1024);
    }
    f.set_attr("/", "format", std::string("tandem-dataset"));
    f.set_attr("/", "version", int64_t{1});
    f.set_attr("/", "source", t.source);
    if (!t.classes.empty()) f.set_attr("/", "classes", t.classes);
  });
}

}  // namespace tandem::data
