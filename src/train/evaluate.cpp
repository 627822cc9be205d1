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

Evaluation evaluate(model::Model& m, const data::Dataset& d, dist::Comm& comm, int64_t chunk) {
  auto& g = m.graph;
  TANDEM_CHECK(chunk > 0 && chunk <= g.max_batch(), "evaluation chunk ", chunk, " exceeds the planned batch ",
               g.max_batch());
  const int64_t n = d.size(), ranks = comm.size(), r = comm.rank();
  const int64_t begin = n * r / ranks, end = n * (r + 1) / ranks;
  const int64_t k = m.outputs();
  std::vector<int32_t> labels(chunk), predicted(chunk);
  graph::RunInfo run;
  run.training = false;
  double sums[3] = {0, 0, 0};  // loss, correct, count
  for (int64_t pos = begin; pos < end; pos += chunk) {
    const int64_t b = std::min(chunk, end - pos);
    load_rows(m, d, pos, b, labels.data());
    g.forward(b, run);
    const Tensor out = g.value(m.output, b);
    ops::Targets t;
    t.labels = labels.data();
    sums[0] += m.loss->forward_backward(out, t, 0.0f, Tensor());
    kernels::argmax_rows(out.data(), b, k, predicted.data());
    for (int64_t i = 0; i < b; ++i) sums[1] += predicted[i] == labels[i] ? 1 : 0;
    sums[2] += static_cast<double>(b);
  }
  comm.allreduce_sum(sums, 3);
  Evaluation e;
  e.samples = static_cast<int64_t>(sums[2]);
  e.loss = e.samples ? sums[0] / sums[2] : 0.0;
  e.accuracy = e.samples ? sums[1] / sums[2] : 0.0;
  return e;
}

}  // namespace tandem::train
