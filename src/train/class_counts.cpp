#include "tandem/train/class_counts.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "tandem/core/error.hpp"
#include "tandem/core/strings.hpp"
#include "tandem/ops/losses.hpp"

namespace tandem::train {
namespace {

// The field holding the loss's class indices: the only /y array, or /y/TARGET; -1 if none
// (the dataset check after building names the problem).
int label_field(const data::Dataset& d, const model::LossSpec& l) {
  const auto& targets = d.targets();
  const int field = targets.size() == 1 && targets[0].name.empty() ? 0 : d.find_target(l.target);
  return field >= 0 && targets[field].is_labels() ? field : -1;
}

}  // namespace

void fill_class_counts(model::ModelSpec& spec, const data::Dataset& train) {
  for (auto& l : spec.losses) {
    const auto* info = ops::loss_registry().find(l.name);
    if (!info || !info->class_counts) continue;
    const int field = label_field(train, l);
    if (field < 0) continue;
    const bool huffman = l.options.count("tree") && l.options.at("tree") == "huffman";
    if (l.options.count("classes") && (!huffman || l.options.count("counts"))) continue;
    const auto& labels = train.labels(field);
    int64_t classes = std::max<int64_t>(train.classes_in_file(), int64_t{train.max_label(field)} + 1);
    if (l.options.count("classes"))
      classes = parse_int(l.options.at("classes"), "loss " + l.name + " option 'classes'");
    TANDEM_USAGE_CHECK(!l.options.count("counts") || l.options.count("classes"), "the loss on '", l.node,
                       "' gives counts= without classes=; give both, or neither (train then counts the "
                       "classes of the training split)");
    TANDEM_USAGE_CHECK(train.max_label(field) < classes, "'", train.path(), "' /train has label ",
                       train.max_label(field), " but the loss on '", l.node, "' has classes=", classes,
                       "; raise classes= or drop it (train then counts the classes)");
    l.options["classes"] = std::to_string(classes);
    if (!huffman) continue;
    std::vector<int64_t> counts(static_cast<size_t>(classes), 0);
    for (int32_t y : labels) ++counts[y];
    std::string text;
    for (int64_t c : counts) text += (text.empty() ? "" : ",") + std::to_string(c);
    l.options["counts"] = text;
  }
}

}  // namespace tandem::train
