// The hierarchical softmax's class trees: path lengths against closed forms (balanced: floor or
// ceil of log2 C; Huffman: the textbook code lengths), Kraft's equality, deterministic ties.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <vector>

#include "tandem/core/error.hpp"
#include "tandem/ops/class_tree.hpp"

namespace tandem {
namespace {

std::vector<int64_t> depths(const ops::ClassTree& t) {
  std::vector<int64_t> d;
  for (int64_t c = 0; c < t.classes(); ++c) d.push_back(static_cast<int64_t>(t.path_nodes(c).size()));
  return d;
}

// A full binary tree's leaves satisfy Σ 2^−depth = 1; paths start at the root, follow child
// links, and every internal node lies on some path.
void expect_valid(const ops::ClassTree& t) {
  double kraft = 0;
  std::set<int32_t> seen;
  for (int64_t c = 0; c < t.classes(); ++c) {
    const auto nodes = t.path_nodes(c);
    const auto signs = t.path_signs(c);
    ASSERT_FALSE(nodes.empty());
    EXPECT_EQ(nodes[0], 0);
    for (size_t j = 0; j < nodes.size(); ++j) {
      seen.insert(nodes[j]);
      const int side = signs[j] > 0 ? 0 : 1;
      const int32_t next = j + 1 < nodes.size() ? nodes[j + 1] : static_cast<int32_t>(-1 - c);
      EXPECT_EQ(t.child(nodes[j], side), next);
      if (next >= 0) {
        EXPECT_GT(next, nodes[j]);  // parents before children
      }
    }
    kraft += std::ldexp(1.0, -static_cast<int>(nodes.size()));
    EXPECT_LE(static_cast<int64_t>(nodes.size()), t.max_depth());
  }
  EXPECT_NEAR(kraft, 1.0, 1e-12);
  EXPECT_EQ(static_cast<int64_t>(seen.size()), t.internal_nodes());
}

TEST(ClassTree, BalancedPathsAreFloorOrCeilOfLog2) {
  for (int64_t classes : {2, 3, 5, 8, 10, 17, 1000}) {
    const auto t = ops::ClassTree::balanced(classes);
    expect_valid(t);
    const auto lo = static_cast<int64_t>(std::floor(std::log2(static_cast<double>(classes))));
    const auto hi = static_cast<int64_t>(std::ceil(std::log2(static_cast<double>(classes))));
    for (int64_t d : depths(t)) {
      EXPECT_GE(d, lo) << classes;
      EXPECT_LE(d, hi) << classes;
    }
    EXPECT_EQ(t.max_depth(), hi);
  }
}

TEST(ClassTree, HuffmanGivesTheTextbookCodeLengths) {
  // CLRS 16.3: a:45 b:13 c:12 d:16 e:9 f:5 -> 1, 3, 3, 3, 4, 4 bits (224 in all).
  const auto t = ops::ClassTree::huffman({45, 13, 12, 16, 9, 5});
  expect_valid(t);
  EXPECT_EQ(depths(t), (std::vector<int64_t>{1, 3, 3, 3, 4, 4}));
  EXPECT_EQ(depths(ops::ClassTree::huffman({1, 1, 2, 4})), (std::vector<int64_t>{3, 3, 2, 1}));
  EXPECT_EQ(depths(ops::ClassTree::huffman({7, 7, 7, 7})), (std::vector<int64_t>{2, 2, 2, 2}));
}

TEST(ClassTree, HuffmanBreaksTiesByClassThenMergeOrder) {
  // Equal counts: classes 0 and 1 merge first (0 left); then class 2 (count 1) comes before
  // that merge (count 2) and goes left of the root.
  const auto t = ops::ClassTree::huffman({1, 1, 1});
  expect_valid(t);
  ASSERT_EQ(t.path_nodes(2).size(), 1u);
  EXPECT_EQ(t.path_signs(2)[0], 1.0f);
  EXPECT_EQ(std::vector<float>(t.path_signs(0).begin(), t.path_signs(0).end()), (std::vector<float>{-1, 1}));
  EXPECT_EQ(std::vector<float>(t.path_signs(1).begin(), t.path_signs(1).end()), (std::vector<float>{-1, -1}));
  // Built twice from many ties: the same tree.
  std::vector<int64_t> counts(300);
  for (size_t i = 0; i < counts.size(); ++i) counts[i] = static_cast<int64_t>(i % 7);
  const auto a = ops::ClassTree::huffman(counts), b = ops::ClassTree::huffman(counts);
  expect_valid(a);
  for (int64_t c = 0; c < a.classes(); ++c) {
    EXPECT_TRUE(std::equal(a.path_nodes(c).begin(), a.path_nodes(c).end(), b.path_nodes(c).begin(),
                           b.path_nodes(c).end()));
    EXPECT_TRUE(std::equal(a.path_signs(c).begin(), a.path_signs(c).end(), b.path_signs(c).begin(),
                           b.path_signs(c).end()));
  }
}

TEST(ClassTree, RefusesFewerThanTwoClasses) {
  EXPECT_THROW(ops::ClassTree::balanced(1), UsageError);
  EXPECT_THROW(ops::ClassTree::huffman({3}), UsageError);
  EXPECT_THROW(ops::ClassTree::huffman({3, -1}), UsageError);
}

}  // namespace
}  // namespace tandem
