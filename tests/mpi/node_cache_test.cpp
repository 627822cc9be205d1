// --data-cache node on 2, 3 and 4 ranks: the ranks of this node read parts of each input into
// one shared block, and every rank's rows (in any order, of a subset of a subset, of a group of
// two inputs) equal the rows of its own copy in memory. The block is truly shared: each rank
// read only its part, so a rank seeing the others' rows sees memory they wrote.
#include <gtest/gtest.h>

#include <vector>

#include "fixture.hpp"
#include "tandem/data/dataset.hpp"

namespace tandem {
namespace {

std::vector<float> rows(const data::Dataset& d, int input, const std::vector<int64_t>& ids) {
  std::vector<float> out(ids.size() * d.inputs()[input].width());
  d.input_rows(input, ids.data(), 0, static_cast<int64_t>(ids.size()), out.data());
  return out;
}

void expect_same(const data::Dataset& mine, const data::Dataset& shared) {
  ASSERT_FALSE(mine.node_cached());
  ASSERT_TRUE(shared.node_cached());
  ASSERT_EQ(mine.size(), shared.size());
  std::vector<int64_t> all(static_cast<size_t>(mine.size()));
  for (int64_t i = 0; i < mine.size(); ++i) all[i] = mine.size() - 1 - i;  // every row, reversed
  for (int i = 0; i < static_cast<int>(mine.inputs().size()); ++i)
    EXPECT_EQ(rows(mine, i, all), rows(shared, i, all)) << "input " << i;
  EXPECT_EQ(mine.labels(), shared.labels());
}

TEST(NodeCache, EveryRankSeesTheWholeSplitFromOneSharedCopy) {
  mpi_fixture::Fixture fx("input 1 8 8\nflatten\ndense 5\n");
  for (const auto& path : {fx.data(), fx.multi_data()}) {
    SCOPED_TRACE(path);
    const auto mine = data::Dataset::load(path, "train");
    const auto shared = data::Dataset::load(path, "train", 0, data::DataMode::kMemory, 0, testing::g_world);
    expect_same(mine, shared);
    const std::vector<int64_t> outer{60, 2, 17, 4, 9, 11, 25, 0, 69, 13, 21, 33};
    const std::vector<int64_t> inner{10, 0, 3, 7, 5};
    expect_same(mine.subset(outer), shared.subset(outer));
    expect_same(mine.subset(outer).subset(inner), shared.subset(outer).subset(inner));
    const auto limited = data::Dataset::load(path, "train", 31, data::DataMode::kMemory, 0, testing::g_world);
    expect_same(data::Dataset::load(path, "train", 31), limited);
  }
}

}  // namespace
}  // namespace tandem
