#pragma once
// Moves rows of a dataset into a model: every input node's values and every loss's targets,
// matched by name (model input NAME reads /SPLIT/x/NAME, the loss with target T reads
// /SPLIT/y/T; a single input or loss may read the plain /SPLIT/x or /SPLIT/y). After forward,
// it gives the batch's training loss (the weighted sum over the losses) and its accuracy.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "tandem/data/augment.hpp"
#include "tandem/data/dataset.hpp"
#include "tandem/model/model.hpp"
#include "tandem/train/prefetch.hpp"

namespace tandem::train {

// Checks that the dataset fits the model (fields, shapes, target types, label ranges);
// UsageError naming the field and the fix otherwise. `what` names the data ("'f.h5' /test").
void check_compatible(const model::Model& m, const data::Dataset& d, const std::string& what);

// The class indices balanced sampling, stratified splits and class weights use: the targets
// of the first loss that reads class indices, or all zeros (one class) when none does.
const std::vector<int32_t>& class_labels(const model::Model& m, const data::Dataset& d);

// The field of d that feeds model input i (check_compatible first).
int input_field(const model::Model& m, const data::Dataset& d, size_t i);
// The field of d that holds the targets of head h.
int target_field(const model::Model& m, const data::Dataset& d, size_t h);
// The model's inputs, for messages and checkpoints: "[1, 28, 28]" for a single input,
// "left [1, 28, 28], right [1, 28, 28]" for several.
std::string describe_inputs(const model::Model& m);

class DataFeed {
 public:
  // Checks d (check_compatible) and holds target buffers for up to m.graph.max_batch() rows:
  // plan the graph first.
  DataFeed(model::Model& m, const data::Dataset& d, const std::string& what);

  const data::Dataset& data() const { return d_; }
  // Rows [begin, begin + n) into the inputs (the first one preprocessed) and the targets.
  void load_rows(int64_t begin, int64_t n);
  // Rows ids[0..n): the first input augmented (training batches) and preprocessed; the inputs
  // from the prefetcher when it prepared exactly these rows.
  void gather(const int64_t* ids, int64_t n, data::Augmenter& augment, uint32_t epoch);
  void set_prefetcher(Prefetcher* p) { prefetcher_ = p; }
  // The dataset input feeding each model input, and its floats per row (for a Prefetcher).
  const std::vector<int>& input_fields() const { return input_field_; }
  std::vector<int64_t> input_widths() const;

  // After forward over n rows: the sum over rows of the training loss, sum_h weight_h * loss_h.
  // With `grads`, writes each output's gradient, scale * weight_h * dloss_h/dout. per_sample
  // (optional, [n]) receives each row's loss; `first` (optional) replaces the first head's
  // loss (class weights).
  // own_class_only: the forward pass had labels() in its RunInfo (ops::Targets::own_class_only).
  double loss(int64_t n, float scale, bool grads, float* per_sample = nullptr, ops::Loss* first = nullptr,
              bool own_class_only = false);
  // Each head's own summed loss (unweighted) over the loss() calls since the last reset.
  const std::vector<double>& head_sums() const { return head_sums_; }
  void reset_head_sums() { std::fill(head_sums_.begin(), head_sums_.end(), 0.0); }
  // How many of the n rows the first head gets right: argmax against a class index; for
  // float targets each row scores the fraction of its K outputs on the right side (bce_logits:
  // z > 0 against t > 0.5) or 1 when argmax(pred) = argmax(target) (mse, l1).
  // own_class_only: as in loss(); a head whose op then computed each sample's own class only
  // counts a row right when p(y) > 1/2.
  double correct(int64_t n, bool own_class_only = false);
  // For graph::RunInfo::labels: by node id, the loaded class indices of each head's node.
  const int32_t* const* node_labels() const { return node_labels_.data(); }
  // The targets of head h as loaded: class indices, or [rows, K] floats.
  bool has_labels(size_t h) const { return !heads_[h].labels.empty(); }
  const int32_t* labels(size_t h) const { return heads_[h].labels.data(); }
  const float* values(size_t h) const { return heads_[h].values.data(); }

 private:
  struct HeadTargets {
    int field = 0;
    bool multi_label = false;     // bce_logits: accuracy per label
    std::vector<int32_t> labels;  // [max_batch] when the field holds class indices
    std::vector<float> values;    // [max_batch, K] otherwise
    ops::Targets targets(float* per_sample) const;
  };
  void load(const int64_t* ids, int64_t begin, int64_t n);
  void load_targets(const int64_t* ids, int64_t begin, int64_t n);

  model::Model& m_;
  const data::Dataset& d_;
  std::vector<int> input_field_;  // per model input
  std::vector<HeadTargets> heads_;
  std::vector<float> head_loss_;  // [max_batch] per-row losses of one head
  std::vector<double> head_sums_;
  std::vector<int32_t> predicted_;
  std::vector<const int32_t*> node_labels_;  // [graph nodes]
  Prefetcher* prefetcher_ = nullptr;
  std::vector<float*> input_values_;  // one gather's destinations, sized once
};

}  // namespace tandem::train
