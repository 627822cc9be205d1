#include "tandem/train/evaluate.hpp"

#include <vector>

#include "tandem/core/error.hpp"
#include "tandem/tensor/kernels.hpp"

namespace tandem::train {

void check_compatible(const model::Model& m, const data::Dataset& d, const std::string& what) {
  const Shape want = m.input_shape();
  TANDEM_USAGE_CHECK(d.sample_shape().numel() == want.numel() &&
                         (d.sample_shape() == want || want.rank() == 1 || d.sample_shape().rank() == 1),
                     what, " samples have shape ", d.sample_shape().str(), " but the model's input is ",
                     want.str(), "; change the 'input' line of the model spec");
  TANDEM_USAGE_CHECK(d.max_label() < m.outputs(), what, " has label ", d.max_label(),
                     " but the model has only ", m.outputs(), " outputs (classes 0..", m.outputs() - 1,
                     "); make the last dense layer wider or fix the labels");
}

void load_rows(model::Model& m, const data::Dataset& d, int64_t begin, int64_t rows, int32_t* labels) {
  float* x = m.graph.value(m.input, rows).data();
  d.rows(begin, rows, x, labels);
  m.preprocessing.apply(x, rows);
}

PassSums full_pass(model::Model& m, ops::Loss& loss, const data::Dataset& d, int64_t rows, int64_t chunk,
                   dist::Comm& comm, bool gradients, int32_t* labels, int32_t* predicted) {
  auto& g = m.graph;
  TANDEM_CHECK(chunk > 0 && chunk <= g.max_batch(), "evaluation chunk ", chunk, " exceeds the planned batch ",
               g.max_batch());
  const int64_t begin = rows * comm.rank() / comm.size(), end = rows * (comm.rank() + 1) / comm.size();
  const int64_t k = m.outputs();
  const float scale = gradients ? 1.0f / static_cast<float>(rows) : 0.0f;
  if (gradients) g.zero_grads();
  graph::RunInfo run;
  run.training = false;
  double sums[3] = {0, 0, 0};  // loss, correct, count
  for (int64_t pos = begin; pos < end; pos += chunk) {
    const int64_t b = std::min(chunk, end - pos);
    load_rows(m, d, pos, b, labels);
    g.forward(b, run);
    const Tensor out = g.value(m.output, b);
    ops::Targets t;
    t.labels = labels;
    sums[0] += loss.forward_backward(out, t, scale, gradients ? g.value_grad(m.output, b) : Tensor());
    kernels::argmax_rows(out.data(), b, k, predicted);
    for (int64_t i = 0; i < b; ++i) sums[1] += predicted[i] == labels[i] ? 1 : 0;
    sums[2] += static_cast<double>(b);
    if (gradients) g.backward(b, run);
  }
  comm.allreduce_sum(sums, 3);
  if (gradients) {
    auto grads = g.grads();
    comm.allreduce_sum(grads.data(), static_cast<int64_t>(grads.size()));
    comm.broadcast(grads.data(), static_cast<int64_t>(grads.size() * sizeof(float)), 0);
    comm.broadcast(sums, sizeof sums, 0);
  }
  return {sums[0], sums[1], sums[2]};
}

Evaluation evaluate(model::Model& m, const data::Dataset& d, dist::Comm& comm, int64_t chunk) {
  std::vector<int32_t> labels(chunk), predicted(chunk);
  const auto s = full_pass(m, *m.loss, d, d.size(), chunk, comm, false, labels.data(), predicted.data());
  Evaluation e;
  e.samples = static_cast<int64_t>(s.samples);
  e.loss = e.samples ? s.loss / s.samples : 0.0;
  e.accuracy = e.samples ? s.correct / s.samples : 0.0;
  return e;
}

}  // namespace tandem::train
