// A steady-state training step allocates nothing: global operator new is counted while a
// step of forward, loss, backward, gradient sync and optimizer update runs.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "tandem/dist/comm.hpp"
#include "tandem/dist/sync.hpp"
#include "tandem/model/builder.hpp"
#include "tandem/model/model.hpp"
#include "tandem/optim/optimizer.hpp"

namespace {
std::atomic<long> g_allocations{0};
std::atomic<bool> g_counting{false};
}  // namespace

void* operator new(std::size_t n) {
  if (g_counting) ++g_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

namespace tandem {
namespace {

TEST(SteadyState, TrainingStepAllocatesNothing) {
  model::ModelBuilder b;
  b.input({1, 12, 12});
  b.conv2d(4, {{"kernel", "3"}});
  b.batchnorm();
  b.activation("relu");
  b.maxpool(2);
  b.flatten();
  b.dense(16);
  b.dropout(0.2);
  b.activation("relu");
  b.dense(5);
  dist::LocalComm comm;
  model::BuildOptions opts;
  opts.bn_comm = &comm;
  auto m = model::build_model(b.spec(), opts);
  model::initialize(m->graph, 1);
  optim::OptimizerConfig oc;
  oc.name = "adam";
  oc.weight_decay = 1e-4;
  auto opt = optim::make_optimizer(oc);
  opt->set_decay_ranges({{0, 10}});
  auto& g = m->graph;
  const int64_t batch = 8;
  g.plan(batch);
  std::vector<int32_t> labels(batch);
  std::vector<int64_t> ids(batch);
  for (int64_t i = 0; i < batch; ++i) {
    labels[i] = static_cast<int32_t>(i % 5);
    ids[i] = i;
  }
  Tensor x = g.value(m->input, batch);
  for (int64_t i = 0; i < x.numel(); ++i) x[i] = static_cast<float>(i % 7) * 0.1f;
  auto step = [&](int64_t n) {
    graph::RunInfo run;
    run.sample_ids = ids.data();
    g.forward(n, run);
    ops::Targets t;
    t.labels = labels.data();
    m->loss->forward_backward(g.value(m->output, n), t, 1.0f / n, g.value_grad(m->output, n));
    g.zero_grads();
    g.backward(n, run);
    dist::allreduce_gradients(comm, g.grads());
    opt->step(g.params(), g.grads(), 0.01);
  };
  step(batch);  // the first step sizes optimizer state
  step(batch - 3);
  g_allocations = 0;
  g_counting = true;
  for (int i = 0; i < 5; ++i) step(i % 2 ? batch : batch - 3);  // full and short batches
  g_counting = false;
  EXPECT_EQ(g_allocations.load(), 0);
}

}  // namespace
}  // namespace tandem
