// A steady-state training step allocates nothing: global operator new is counted while a
// training step (sampler shard, rows in memory or streamed, micro-batches, forward, loss,
// backward, gradient sync, optimizer update) runs. oneDNN 2.6 allocates a small hash map of its arguments
// inside every primitive call and frees it before returning: those are counted apart (tandem::dnn tells when
// a call is in progress), and must all be freed again. Under mpirun (CTest alloc_np2) the
// Mpi* tests run the step on two ranks: the ring reduce-scatter and allgather, the sharded
// optimizer and the bf16 exchange.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
#include <optional>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tandem/data/sampler.hpp"
#include "tandem/dist/comm.hpp"
#include "tandem/io/h5.hpp"
#include "tandem/tensor/dnn.hpp"
#include "tandem/train/trainer.hpp"

namespace {
std::atomic<long> g_allocations{0};
std::atomic<long> g_library_allocations{0}, g_library_frees{0};
std::atomic<bool> g_counting{false};

void count_free(void* p) {
  if (g_counting && p && tandem::dnn::in_library_call()) ++g_library_frees;
}
}  // namespace

// This file replaces global new with malloc, so free is the matching release; GCC cannot see
// that across the replacement and warns where inlined library code deletes.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

void* operator new(std::size_t n) {
  if (g_counting) ++(tandem::dnn::in_library_call() ? g_library_allocations : g_allocations);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  count_free(p);
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  count_free(p);
  std::free(p);
}
// The other forms go through the two above, so that every allocation is counted and released
// by this file's pair whatever runtime is linked: AddressSanitizer provides its own nothrow and
// array forms, which std::stable_sort's nothrow buffer then freed with this free (a mismatch).
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return ::operator new(n);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](std::size_t n) {
  return ::operator new(n);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept {
  return ::operator new(n, t);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  ::operator delete(p);
}
void operator delete[](void* p) noexcept {
  ::operator delete(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  ::operator delete(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  ::operator delete(p);
}

namespace tandem {
namespace {

// A small dataset and a CNN with batch norm and dropout, trained through Trainer::step with
// the class-balanced sampler, two micro-batches, bucketed gradient sync, class weights,
// max-norm and the hard-example loss table.
std::unique_ptr<dist::Comm> g_world;  // under mpirun; else null

void write_inputs(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  const int64_t n = 40;
  std::vector<float> x(n * 144);
  std::vector<int32_t> y(n);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 7) * 0.1f;
  for (int64_t i = 0; i < n; ++i) y[i] = static_cast<int32_t>(i % 5);
  {
    io::H5File f((dir / "d.h5").string(), io::H5File::Mode::kCreate);
    f.write("/train/x", {n, 1, 12, 12}, x.data());
    f.write("/train/y", {n}, y.data());
    f.write("/test/x", {n, 1, 12, 12}, x.data());
    f.write("/test/y", {n}, y.data());
  }
  std::ofstream((dir / "m.model").string())
      << "input 1 12 12\nconv2d 4 kernel=3\nbatchnorm\nrelu\nmaxpool 2\nflatten\ndense 16\n"
         "dropout 0.2\nrelu\ndense 5\n";
  std::ofstream((dir / "hs.model").string())
      << "input 1 12 12\nflatten\ndense 16\nrelu\nloss hierarchical_softmax tree=huffman\n";
}

struct Exchange {
  bool shard = false;
  dist::GradDtype dtype = dist::GradDtype::kFp32;
  data::DataMode data = data::DataMode::kMemory;
  const char* model = "m.model";
  std::string freeze;  // --freeze
};

void expect_steady_step_allocates_nothing(Precision precision, dist::Comm& comm, Exchange exchange = {}) {
  uint64_t id = static_cast<uint64_t>(::getpid());
  comm.broadcast(&id, sizeof id, 0);
  const auto dir = std::filesystem::temp_directory_path() / ("tandem_alloc_" + std::to_string(id));
  if (comm.is_root()) write_inputs(dir);
  comm.barrier();
  train::TrainConfig c;
  c.data = (dir / "d.h5").string();
  c.model = (dir / exchange.model).string();
  c.batch_size = 6;  // 40 = 6 full batches and one of 4
  c.accumulate = 2;
  c.threads = 1;
  c.optimizer.name = "adam";
  c.optimizer.weight_decay = 1e-4;
  c.bucket_mb = 0.001;  // several buckets
  c.grad_sync = dist::GradSyncMode::kBucketed;
  c.hard_examples = 0.5;  // per-sample losses recorded every step
  c.class_weights = "balanced";
  c.max_norm = 3;
  c.max_micro_batch = 4;  // shares of 12 in 3 micro-batches, not the 2 of --accumulate
  c.precision = precision;
  c.shard_optimizer = exchange.shard;
  c.grad_dtype = exchange.dtype;
  c.data_mode = exchange.data;
  c.freeze = exchange.freeze;
  if (exchange.shard) c.optimizer.name = "lamb";  // group norms completed across the ranks
  c.clip_grad_norm = 1.0;                         // the global norm, from the pieces
  train::Trainer trainer(c, comm);
  ASSERT_EQ(trainer.train_data().streamed(), exchange.data == data::DataMode::kStream);
  data::Sampler sampler(trainer.train_data().labels(), c.batch_size * c.accumulate, 1);
  auto run_epoch = [&](int64_t epoch) {
    for (int64_t b = 0; b < sampler.batches(); ++b)
      trainer.step(sampler.shard(b, comm.rank(), comm.size()), sampler.batch_size(b), epoch);
  };
  sampler.start_epoch(0);
  run_epoch(0);  // the first steps size optimizer state and scratch buffers
  g_allocations = 0, g_library_allocations = 0, g_library_frees = 0;
  g_counting = true;
  run_epoch(0);  // full batches and the short last one
  g_counting = false;
  comm.barrier();
  if (comm.is_root()) std::filesystem::remove_all(dir);
  EXPECT_EQ(g_allocations.load(), 0);
  EXPECT_EQ(g_library_allocations.load(), g_library_frees.load()) << "oneDNN kept memory across calls";
}

TEST(SteadyState, TrainingStepAllocatesNothing) {
  dist::LocalComm local;
  expect_steady_step_allocates_nothing(Precision::kFp32, local);
}

// Rows streamed from the file: sorted, coalesced and read into buffers sized by the first steps.
TEST(SteadyState, StreamedTrainingStepAllocatesNothing) {
  dist::LocalComm local;
  expect_steady_step_allocates_nothing(
      Precision::kFp32, local, {false, dist::GradDtype::kFp32, data::DataMode::kStream, "m.model", ""});
}

// Frozen convolution and batch norm: the pruned backward and the shorter exchange.
TEST(SteadyState, FrozenTrainingStepAllocatesNothing) {
  dist::LocalComm local;
  expect_steady_step_allocates_nothing(
      Precision::kFp32, local,
      {false, dist::GradDtype::kFp32, data::DataMode::kMemory, "m.model", "conv2d_1,batchnorm_1"});
}

// Each sample's path of the class tree, its labels handed to the op through RunInfo.
TEST(SteadyState, HierarchicalSoftmaxTrainingStepAllocatesNothing) {
  dist::LocalComm local;
  expect_steady_step_allocates_nothing(
      Precision::kFp32, local, {false, dist::GradDtype::kFp32, data::DataMode::kMemory, "hs.model", ""});
}

TEST(SteadyState, Bf16TrainingStepAllocatesNothing) {
  dist::LocalComm local;
  expect_steady_step_allocates_nothing(Precision::kBf16, local);
}

TEST(MpiSteadyState, ShardedOptimizerStepAllocatesNothing) {
  ASSERT_TRUE(g_world && g_world->size() > 1) << "run under mpirun with 2 or more ranks";
  expect_steady_step_allocates_nothing(
      Precision::kFp32, *g_world, {true, dist::GradDtype::kFp32, data::DataMode::kMemory, "m.model", ""});
}

TEST(MpiSteadyState, Bf16ExchangeStepAllocatesNothing) {
  ASSERT_TRUE(g_world && g_world->size() > 1) << "run under mpirun with 2 or more ranks";
  expect_steady_step_allocates_nothing(
      Precision::kBf16, *g_world, {false, dist::GradDtype::kBf16, data::DataMode::kMemory, "m.model", ""});
  expect_steady_step_allocates_nothing(
      Precision::kFp32, *g_world, {true, dist::GradDtype::kBf16, data::DataMode::kMemory, "m.model", ""});
}

}  // namespace
}  // namespace tandem

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  std::optional<tandem::dist::MpiSession> mpi;
  if (std::getenv("OMPI_COMM_WORLD_SIZE")) {  // started by mpirun
    mpi.emplace(&argc, &argv);
    tandem::g_world = tandem::dist::make_world_comm();
  }
  const int rc = RUN_ALL_TESTS();
  tandem::g_world.reset();
  return rc;
}
