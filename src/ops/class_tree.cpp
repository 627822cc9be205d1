#include "tandem/ops/class_tree.hpp"

#include <algorithm>
#include <queue>
#include <tuple>

#include "tandem/core/error.hpp"

namespace tandem::ops {
namespace {

constexpr int32_t leaf(int64_t c) {
  return static_cast<int32_t>(-1 - c);
}

// Internal nodes of [lo, hi) appended to `children` (2 per node); returns the subtree's id.
int32_t split_halves(int64_t lo, int64_t hi, std::vector<int32_t>& children) {
  if (hi - lo == 1) return leaf(lo);
  const auto id = static_cast<int32_t>(children.size() / 2);
  children.resize(children.size() + 2);
  const int64_t mid = lo + (hi - lo + 1) / 2;
  const int32_t left = split_halves(lo, mid, children);
  const int32_t right = split_halves(mid, hi, children);
  children[2 * id] = left;
  children[2 * id + 1] = right;
  return id;
}

}  // namespace

ClassTree ClassTree::balanced(int64_t classes) {
  TANDEM_USAGE_CHECK(classes >= 2, "a hierarchical softmax needs at least 2 classes, got ", classes);
  TANDEM_USAGE_CHECK(classes < (int64_t{1} << 30), "a hierarchical softmax takes under 2^30 classes, got ",
                     classes);
  std::vector<int32_t> children;
  children.reserve(static_cast<size_t>(2 * (classes - 1)));
  const int32_t root = split_halves(0, classes, children);
  return ClassTree(classes, children, root);
}

ClassTree ClassTree::huffman(const std::vector<int64_t>& counts) {
  const auto classes = static_cast<int64_t>(counts.size());
  TANDEM_USAGE_CHECK(classes >= 2, "a hierarchical softmax needs at least 2 classes, got ", classes);
  TANDEM_USAGE_CHECK(classes < (int64_t{1} << 30), "a hierarchical softmax takes under 2^30 classes, got ",
                     classes);
  // (count, order, id): order is the class index for leaves and classes + k for the k-th merge,
  // a total order, so the tree does not depend on how the queue breaks ties.
  using Item = std::tuple<int64_t, int64_t, int32_t>;
  std::priority_queue<Item, std::vector<Item>, std::greater<>> queue;
  for (int64_t c = 0; c < classes; ++c) {
    TANDEM_USAGE_CHECK(counts[c] >= 0, "class count ", c, " is negative (", counts[c], ")");
    queue.emplace(counts[c], c, leaf(c));
  }
  std::vector<int32_t> children;
  children.reserve(static_cast<size_t>(2 * (classes - 1)));
  for (int64_t k = 0; queue.size() > 1; ++k) {
    const Item a = queue.top();
    queue.pop();
    const Item b = queue.top();
    queue.pop();
    children.push_back(std::get<2>(a));
    children.push_back(std::get<2>(b));
    queue.emplace(std::get<0>(a) + std::get<0>(b), classes + k, static_cast<int32_t>(k));
  }
  return ClassTree(classes, children, std::get<2>(queue.top()));
}

ClassTree::ClassTree(int64_t classes, const std::vector<int32_t>& children, int32_t root)
    : classes_(classes) {
  const int64_t internal = classes - 1;
  TANDEM_ASSERT(static_cast<int64_t>(children.size()) == 2 * internal && root >= 0,
                "ClassTree: ", children.size(), " child entries for ", classes, " classes");
  // Breadth-first from the root: the new numbering puts every parent before its children.
  std::vector<int32_t> order{root}, renumber(static_cast<size_t>(internal), -1);
  order.reserve(static_cast<size_t>(internal));
  for (size_t i = 0; i < order.size(); ++i) {
    renumber[order[i]] = static_cast<int32_t>(i);
    for (int side = 0; side < 2; ++side)
      if (children[2 * order[i] + side] >= 0) order.push_back(children[2 * order[i] + side]);
  }
  children_.resize(children.size());
  for (int64_t n = 0; n < internal; ++n)
    for (int side = 0; side < 2; ++side) {
      const int32_t c = children[2 * order[n] + side];
      children_[2 * n + side] = c >= 0 ? renumber[c] : c;
    }
  // Paths: each node's parent and side, then each leaf walked up to the root.
  std::vector<int32_t> parent(static_cast<size_t>(internal), -1), leaf_parent(static_cast<size_t>(classes));
  std::vector<float> side_sign(static_cast<size_t>(internal), 0), leaf_sign(static_cast<size_t>(classes));
  for (int64_t n = 0; n < internal; ++n)
    for (int side = 0; side < 2; ++side) {
      const int32_t c = children_[2 * n + side];
      const float sign = side == 0 ? 1.0f : -1.0f;
      if (c >= 0) {
        parent[c] = static_cast<int32_t>(n);
        side_sign[c] = sign;
      } else {
        leaf_parent[-1 - c] = static_cast<int32_t>(n);
        leaf_sign[-1 - c] = sign;
      }
    }
  path_begin_.assign(static_cast<size_t>(classes + 1), 0);
  for (int64_t c = 0; c < classes; ++c) {
    const auto begin = static_cast<int64_t>(path_node_.size());
    float sign = leaf_sign[c];
    for (int32_t n = leaf_parent[c]; n >= 0; n = parent[n]) {
      path_node_.push_back(n);
      path_sign_.push_back(sign);
      sign = side_sign[n];
    }
    std::reverse(path_node_.begin() + begin, path_node_.end());
    std::reverse(path_sign_.begin() + begin, path_sign_.end());
    path_begin_[c + 1] = static_cast<int64_t>(path_node_.size());
    max_depth_ = std::max(max_depth_, path_begin_[c + 1] - begin);
  }
}

std::span<const int32_t> ClassTree::path_nodes(int64_t c) const {
  return {path_node_.data() + path_begin_[c], static_cast<size_t>(path_begin_[c + 1] - path_begin_[c])};
}

std::span<const float> ClassTree::path_signs(int64_t c) const {
  return {path_sign_.data() + path_begin_[c], static_cast<size_t>(path_begin_[c + 1] - path_begin_[c])};
}

}  // namespace tandem::ops
