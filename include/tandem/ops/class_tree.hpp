#pragma once
// The binary tree of a hierarchical softmax over C classes: C − 1 internal nodes, each a
// logistic decision (left with probability σ(z), right with σ(−z)), and C leaves, the classes.
// Internal nodes are numbered top-down (the root is 0, a parent before its children), so one
// pass in index order visits parents first and one in reverse order children first.
#include <cstdint>
#include <span>
#include <vector>

namespace tandem::ops {

class ClassTree {
 public:
  // Classes split in halves recursively: every path has floor or ceil of log2 C decisions.
  static ClassTree balanced(int64_t classes);
  // Huffman code of the class counts: frequent classes get short paths (mean path length at
  // most the entropy + 1). Ties go to the lower class index, then to the earlier merged node,
  // and the first node taken becomes the left child, so equal counts give the same tree.
  static ClassTree huffman(const std::vector<int64_t>& counts);

  int64_t classes() const { return classes_; }
  int64_t internal_nodes() const { return classes_ - 1; }
  int64_t max_depth() const { return max_depth_; }
  // Child of internal node n (side 0 left, 1 right): >= 0 an internal node, < 0 the leaf of
  // class −1 − value.
  int32_t child(int64_t n, int side) const { return children_[2 * n + side]; }
  // Class c's path from the root: its internal nodes and the side taken at each (+1 left,
  // −1 right, the sign its node's logit enters σ with).
  std::span<const int32_t> path_nodes(int64_t c) const;
  std::span<const float> path_signs(int64_t c) const;

 private:
  // From child lists in any numbering with root `root`: renumbers top-down, builds the paths.
  ClassTree(int64_t classes, const std::vector<int32_t>& children, int32_t root);

  int64_t classes_ = 0;
  int64_t max_depth_ = 0;
  std::vector<int32_t> children_;    // [internal, 2]
  std::vector<int64_t> path_begin_;  // [classes + 1]
  std::vector<int32_t> path_node_;   // concatenated paths
  std::vector<float> path_sign_;
};

}  // namespace tandem::ops
