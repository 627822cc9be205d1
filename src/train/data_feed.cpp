#include "tandem/train/data_feed.hpp"

#include <algorithm>
#include <cmath>

#include "tandem/core/error.hpp"
#include "tandem/core/strings.hpp"
#include "tandem/tensor/kernels.hpp"

namespace tandem::train {
namespace {

std::string field_list(const data::Dataset& d, const std::vector<data::Field>& fields, bool input) {
  std::vector<std::string> names;
  for (const auto& f : fields) names.push_back(d.where(f, input));
  return join(names, ", ");
}

// The field of `fields` that feeds `name`: the plain array when both sides have one, else the
// member of that name; UsageError otherwise.
int bind(const data::Dataset& d, const std::vector<data::Field>& fields, bool input, size_t model_count,
         const std::string& name, const std::string& what) {
  const char* kind = input ? "x" : "y";
  const bool plain = fields.size() == 1 && fields[0].name.empty();
  if (plain && model_count == 1) return 0;
  TANDEM_USAGE_CHECK(!plain, what, " has one /", kind, " array (", field_list(d, fields, input),
                     ") but the model has ", model_count, input ? " inputs" : " losses",
                     "; store one array per ", input ? "input" : "loss target", " in a group: /SPLIT/", kind,
                     "/NAME (see datasets/README.md)");
  const int i = input ? d.find_input(name) : d.find_target(name);
  TANDEM_USAGE_CHECK(i >= 0, what, " has no /", kind, "/", name, " for the model's ",
                     input ? "input" : "loss target", " '", name, "'; it has ", field_list(d, fields, input),
                     input ? "; name the input nodes after the arrays"
                           : "; put the loss on the node of that name or give it target=NAME");
  return i;
}

void check_input(const model::Model& m, const model::Input& in, const data::Dataset& d, int field,
                 const std::string& what) {
  const Shape have = d.inputs()[field].shape, want = m.graph.node(in.node).shape;
  TANDEM_USAGE_CHECK(have.numel() == want.numel() && (have == want || want.rank() == 1 || have.rank() == 1),
                     what, m.inputs.size() > 1 ? " " + d.where(d.inputs()[field], true) : std::string(),
                     " samples have shape ", have.str(), " but the model's input",
                     m.inputs.size() > 1 ? " '" + in.name + "'" : std::string(), " is ", want.str(),
                     "; change the 'input' line of the model spec");
}

void check_target(const model::Model& m, const model::Head& h, const data::Dataset& d, int field,
                  const std::string& what) {
  const auto& f = d.targets()[field];
  const int64_t k = m.graph.node(h.node).shape.numel();
  const std::string where = what + " " + d.where(f, false);
  using Kind = ops::Loss::Kind;
  const Kind kind = h.loss->targets();
  if (f.is_labels()) {
    TANDEM_USAGE_CHECK(kind != Kind::kValues, where, " holds class indices but loss ", h.loss->name(),
                       " on '", h.name, "' needs ", ops::describe(kind));
    TANDEM_USAGE_CHECK(
        d.max_label(field) < k, what, " has label ", d.max_label(field), " but the model has only ", k,
        " outputs", m.heads.size() > 1 ? " on '" + h.name + "'" : std::string(), " (classes 0..", k - 1,
        "); make the output wider (the last dense layer, or classes= on a hierarchical_softmax loss "
        "line) or fix the labels");
  } else {
    TANDEM_USAGE_CHECK(kind != Kind::kLabels, where, " holds float targets ", f.shape.str(), " but loss ",
                       h.loss->name(), " on '", h.name, "' needs ", ops::describe(kind),
                       "; use bce_logits for multi-label targets, mse or l1 for regression");
    TANDEM_USAGE_CHECK(f.width() == k, where, " has ", f.width(), " values per sample but '", h.name,
                       "' gives ", k, "; make its dense layer ", f.width(), " wide");
  }
}

}  // namespace

void check_compatible(const model::Model& m, const data::Dataset& d, const std::string& what) {
  for (const auto& in : m.inputs)
    check_input(m, in, d, bind(d, d.inputs(), true, m.inputs.size(), in.name, what), what);
  for (const auto& h : m.heads)
    check_target(m, h, d, bind(d, d.targets(), false, m.heads.size(), h.target, what), what);
}

const std::vector<int32_t>& class_labels(const model::Model& m, const data::Dataset& d) {
  for (const auto& h : m.heads) {
    const int field = bind(d, d.targets(), false, m.heads.size(), h.target, d.path());
    if (d.targets()[field].is_labels()) return d.labels(field);
  }
  return d.labels();  // zeros: no loss reads class indices
}

int input_field(const model::Model& m, const data::Dataset& d, size_t i) {
  return bind(d, d.inputs(), true, m.inputs.size(), m.inputs[i].name, d.path());
}

int target_field(const model::Model& m, const data::Dataset& d, size_t h) {
  return bind(d, d.targets(), false, m.heads.size(), m.heads[h].target, d.path());
}

std::string describe_inputs(const model::Model& m) {
  if (m.inputs.size() == 1) return m.input_shape().str();
  std::vector<std::string> parts;
  for (const auto& in : m.inputs) parts.push_back(in.name + " " + m.graph.node(in.node).shape.str());
  return join(parts, ", ");
}

DataFeed::DataFeed(model::Model& m, const data::Dataset& d, const std::string& what) : m_(m), d_(d) {
  check_compatible(m, d, what);
  const int64_t rows = m.graph.max_batch();
  TANDEM_ASSERT(rows > 0, "DataFeed: plan the graph before binding data");
  for (size_t i = 0; i < m.inputs.size(); ++i) input_field_.push_back(input_field(m, d, i));
  for (size_t h = 0; h < m.heads.size(); ++h) {
    HeadTargets t;
    t.field = target_field(m, d, h);
    t.multi_label = m.heads[h].loss->probabilities() == ops::Probabilities::kSigmoid;
    if (d.targets()[t.field].is_labels())
      t.labels.resize(rows);
    else
      t.values.resize(rows * d.targets()[t.field].width());
    heads_.push_back(std::move(t));
  }
  node_labels_.assign(static_cast<size_t>(m.graph.node_count()), nullptr);
  for (size_t h = 0; h < m.heads.size(); ++h)
    if (!heads_[h].labels.empty()) node_labels_[m.heads[h].node] = heads_[h].labels.data();
  input_values_.resize(m.inputs.size());
  head_loss_.resize(rows);
  head_sums_.resize(heads_.size());
  predicted_.resize(rows);
}

ops::Targets DataFeed::HeadTargets::targets(float* per_sample) const {
  ops::Targets t;
  if (!labels.empty()) t.labels = labels.data();
  // Values as a flat view: the losses read them row by row.
  if (!values.empty())
    t.values = Tensor(const_cast<float*>(values.data()), Shape{static_cast<int64_t>(values.size())});
  t.per_sample = per_sample;
  return t;
}

void DataFeed::load(const int64_t* ids, int64_t begin, int64_t n) {
  TANDEM_ASSERT(n <= m_.graph.max_batch(), "batch of ", n, " rows exceeds the planned ",
                m_.graph.max_batch());
  for (size_t i = 0; i < m_.inputs.size(); ++i)
    d_.input_rows(input_field_[i], ids, begin, n, m_.graph.value(m_.inputs[i].node, n).data());
  load_targets(ids, begin, n);
}

void DataFeed::load_targets(const int64_t* ids, int64_t begin, int64_t n) {
  for (auto& h : heads_) d_.target_rows(h.field, ids, begin, n, h.labels.data(), h.values.data());
}

std::vector<int64_t> DataFeed::input_widths() const {
  std::vector<int64_t> widths;
  for (int field : input_field_) widths.push_back(d_.inputs()[field].width());
  return widths;
}

void DataFeed::load_rows(int64_t begin, int64_t n) {
  load(nullptr, begin, n);
  m_.preprocessing.apply(m_.graph.value(m_.input(), n).data(), n);
}

void DataFeed::gather(const int64_t* ids, int64_t n, data::Augmenter& augment, uint32_t epoch) {
  if (prefetcher_) {
    for (size_t i = 0; i < m_.inputs.size(); ++i)
      input_values_[i] = m_.graph.value(m_.inputs[i].node, n).data();
    if (prefetcher_->take({ids, static_cast<size_t>(n)}, epoch, input_values_)) {
      load_targets(ids, 0, n);
      return;
    }
  }
  load(ids, 0, n);
  float* x = m_.graph.value(m_.input(), n).data();
  augment.apply(x, ids, n, epoch);
  m_.preprocessing.apply(x, n);
}

double DataFeed::loss(int64_t n, float scale, bool grads, float* per_sample, ops::Loss* first,
                      bool own_class_only) {
  auto& g = m_.graph;
  double total = 0;
  if (per_sample) std::fill(per_sample, per_sample + n, 0.0f);
  for (size_t h = 0; h < heads_.size(); ++h) {
    const auto& head = m_.heads[h];
    ops::Loss& loss = h == 0 && first ? *first : *head.loss;
    const float w = static_cast<float>(head.weight);
    ops::Targets t = heads_[h].targets(per_sample ? head_loss_.data() : nullptr);
    t.own_class_only = own_class_only;
    const double sum = loss.forward_backward(g.value(head.node, n), t, scale * w,
                                             grads ? g.value_grad(head.node, n) : Tensor());
    head_sums_[h] += sum;
    total += head.weight * sum;
    if (per_sample)
      for (int64_t i = 0; i < n; ++i) per_sample[i] += w * head_loss_[i];
  }
  return total;
}

double DataFeed::correct(int64_t n, bool own_class_only) {
  const auto& head = m_.heads[0];
  const auto& t = heads_[0];
  const float* out = m_.graph.value(head.node, n).data();
  const int64_t k = m_.graph.node(head.node).shape.numel();
  double right = 0;
  if (own_class_only && !t.labels.empty() && head.loss->own_class_only_in_training()) {
    const float log_half = std::log(0.5f);  // out holds log p(y) there, nothing else
    for (int64_t i = 0; i < n; ++i) right += out[i * k + t.labels[i]] > log_half ? 1 : 0;
  } else if (!t.labels.empty()) {
    kernels::argmax_rows(out, n, k, predicted_.data());
    for (int64_t i = 0; i < n; ++i) right += predicted_[i] == t.labels[i] ? 1 : 0;
  } else if (t.multi_label) {
    for (int64_t i = 0; i < n * k; ++i) right += (out[i] > 0) == (t.values[i] > 0.5f) ? 1.0 / k : 0.0;
  } else {
    kernels::argmax_rows(out, n, k, predicted_.data());
    for (int64_t i = 0; i < n; ++i) {
      const float* y = t.values.data() + i * k;
      right += predicted_[i] == std::max_element(y, y + k) - y ? 1 : 0;
    }
  }
  return right;
}

}  // namespace tandem::train
