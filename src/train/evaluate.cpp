#include "tandem/train/evaluate.hpp"

#include <vector>

#include "tandem/core/error.hpp"

namespace tandem::train {

PassSums full_pass(model::Model& m, DataFeed& feed, int64_t rows, int64_t chunk, dist::Comm& comm,
                   bool gradients, ops::Loss* first) {
  auto& g = m.graph;
  TANDEM_ASSERT(chunk > 0 && chunk <= g.max_batch(), "evaluation chunk ", chunk,
                " exceeds the planned batch ", g.max_batch());
  const int64_t begin = rows * comm.rank() / comm.size(), end = rows * (comm.rank() + 1) / comm.size();
  const float scale = gradients ? 1.0f / static_cast<float>(rows) : 0.0f;
  if (gradients) g.zero_grads();
  graph::RunInfo run;
  run.training = false;
  double sums[3] = {0, 0, 0};  // loss, correct, count
  feed.reset_head_sums();
  for (int64_t pos = begin; pos < end; pos += chunk) {
    const int64_t b = std::min(chunk, end - pos);
    feed.load_rows(pos, b);
    g.forward(b, run);
    sums[0] += feed.loss(b, scale, gradients, nullptr, first);
    sums[1] += feed.correct(b);
    sums[2] += static_cast<double>(b);
    if (gradients) g.backward(b, run);
  }
  comm.allreduce_sum(sums, 3);
  std::vector<double> heads = feed.head_sums();
  comm.allreduce_sum(heads.data(), static_cast<int64_t>(heads.size()));
  if (gradients) {
    auto grads = g.grads();
    comm.allreduce_sum(grads.data(), static_cast<int64_t>(grads.size()));
    comm.broadcast(grads.data(), static_cast<int64_t>(grads.size() * sizeof(float)), 0);
    comm.broadcast(sums, sizeof sums, 0);
    comm.broadcast(heads.data(), static_cast<int64_t>(heads.size() * sizeof(double)), 0);
  }
  return {sums[0], sums[1], sums[2], heads};
}

Evaluation evaluate(model::Model& m, const data::Dataset& d, dist::Comm& comm, int64_t chunk) {
  DataFeed feed(m, d, "'" + d.path() + "'");
  const auto s = full_pass(m, feed, d.size(), chunk, comm, false);
  Evaluation e;
  e.samples = static_cast<int64_t>(s.samples);
  e.loss = e.samples ? s.loss / s.samples : 0.0;
  e.accuracy = e.samples ? s.correct / s.samples : 0.0;
  for (double h : s.head_loss) e.head_loss.push_back(e.samples ? h / s.samples : 0.0);
  return e;
}

}  // namespace tandem::train
