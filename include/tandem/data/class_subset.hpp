#pragma once
// `tandem convert classes`: a dataset of some of another's classes, relabelled 0..K-1 in the
// order given (the pre-training and fine-tuning example: Fashion-MNIST's classes 0-4 and 5-9
// as two 5-class datasets). Every split keeps its rows of those classes in their order; the
// inputs keep their type and scale attribute; the root attribute classes lists the kept names.
#include <cstdint>
#include <string>
#include <vector>

namespace tandem::data {

// `keep`: class indices or names of `from` (its root attribute classes), comma-separated.
// UsageError for an unknown or repeated class, or a dataset whose targets are not one int32
// class index per row. Returns the rows written per split ("train 30000, test 5000").
std::string write_class_subset(const std::string& from, const std::string& keep, const std::string& out);

// The class indices `keep` names, in its order, among `classes` (names; may be empty, then only
// indices below `count` are accepted).
std::vector<int32_t> parse_class_list(const std::string& keep, const std::vector<std::string>& classes,
                                      int64_t count);

}  // namespace tandem::data
