#pragma once
// The communication interface. Everything above this module talks to other ranks only
// through Comm; MPI stays behind MpiComm.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace tandem::dist {

// A pending non-blocking operation: a plain handle the Comm fills in, so starting one
// allocates nothing. Reuse it once the operation completed.
struct Pending {
  uint64_t handle = 0;
  bool active = false;
  int64_t sequence = 0;  // the collective's number in this rank's order (the hang detector's)
};

// Where a rank is, for the hang detector's message (Comm::mark).
enum class Phase : int {
  kSetup,
  kForwardBackward,
  kGradientExchange,
  kOptimizerStep,
  kEvaluation,
  kCheckpoint,
  kEpochEnd,
  kCount
};
const char* phase_name(Phase phase);

// The exit code of a job the hang detector ended.
inline constexpr int kHangExitCode = 3;

class Comm {
 public:
  virtual ~Comm() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Ranks on this node, and this rank's index among them (for thread placement).
  virtual int local_rank() const = 0;
  virtual int local_size() const = 0;
  virtual int node_count() const = 0;

  // In-place sums over all ranks.
  virtual void allreduce_sum(float* data, int64_t count) = 0;
  virtual void allreduce_sum(double* data, int64_t count) = 0;
  virtual void allreduce_max(double* data, int64_t count) = 0;
  // Non-blocking in-place sum; `op` must be inactive. test() drives progress and returns true
  // once complete (then `op` is inactive again); wait() blocks until complete.
  virtual void start_allreduce_sum(float* data, int64_t count, Pending& op) = 0;
  virtual bool test(Pending& op) = 0;
  virtual void wait(Pending& op) = 0;
  virtual void broadcast(void* data, int64_t bytes, int root) = 0;
  virtual void barrier() = 0;
  // Every rank's 64-bit value, in rank order.
  virtual std::vector<uint64_t> allgather(uint64_t value) = 0;

  // Collectives over an array cut into one piece per rank: piece r is [bounds[r], bounds[r+1])
  // (bounds: size() + 1 ascending offsets, the same on every rank).
  //
  // Ring reduce-scatter: afterwards this rank's piece holds the sum over the ranks; the other
  // pieces hold partial sums. Each piece is added up in one fixed order (the ring's, from the
  // rank after its owner round to the owner), so a sum is the same bits on every run, and
  // reduce_scatter + allgather is an allreduce with exactly the sums of a sharded step.
  virtual void reduce_scatter_sum(float* data, std::span<const int64_t> bounds) = 0;
  // The same on bfloat16 patterns: each addition in fp32, rounded to bf16 (half the bytes).
  virtual void reduce_scatter_sum(uint16_t* data, std::span<const int64_t> bounds) = 0;
  // Every rank's piece to every rank, in place.
  virtual void allgather(float* data, std::span<const int64_t> bounds) = 0;
  virtual void allgather(uint16_t* data, std::span<const int64_t> bounds) = 0;
  // Every rank's piece into `full` on `root` (elsewhere `full` is unused; may be null).
  virtual void gather(const float* piece, std::span<const int64_t> bounds, float* full, int root) = 0;
  // Every rank's k values, rank after rank, into all[size() * k].
  virtual void allgather(const double* mine, int64_t k, double* all) = 0;
  // `bytes` of memory shared by the ranks of this node (--data-cache node): every rank of the
  // node calls it with the same bytes and gets the same block, freed when each rank's last
  // holder lets go; the ranks fill it together, this rank part `part` of `parts`. Without
  // sharing (the default) a rank gets plain memory of its own and fills all of it.
  struct NodeBlock {
    std::shared_ptr<uint8_t> data;
    int part = 0, parts = 1;
  };
  virtual NodeBlock node_shared(int64_t bytes) {
    return {
        std::shared_ptr<uint8_t>(new uint8_t[static_cast<size_t>(bytes)], std::default_delete<uint8_t[]>()),
        0, 1};
  }
  // Waits for the ranks of this node (all of them have written their parts of a block).
  virtual void node_barrier() {}

  // The hang detector: with seconds > 0, a rank that has waited that long in a collective ends
  // the job, and the lowest-numbered waiting rank names the ranks that have not arrived and
  // where they were last seen (mark()). 0 (the default): wait as long as it takes.
  virtual void set_hang_timeout(double /*seconds*/) {}
  // This rank is now at global step `step`, in `phase` (cheap: a store, and at most ten small
  // messages a second to rank 0).
  virtual void mark(int64_t /*step*/, Phase /*phase*/) {}

  bool is_root() const { return rank() == 0; }
};

// The bounds of `pieces` nearly equal pieces of n elements (pieces + 1 offsets), each starting
// on a multiple of 16 elements (64 bytes of floats: pieces share no cache line).
inline std::vector<int64_t> piece_bounds(int64_t n, int pieces) {
  std::vector<int64_t> b(static_cast<size_t>(pieces) + 1, n);
  for (int q = 0; q < pieces; ++q) b[q] = std::min(n, (n * q / pieces) / 16 * 16);
  return b;
}

// The single-process communicator: reductions are identities.
class LocalComm final : public Comm {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int local_rank() const override { return 0; }
  int local_size() const override { return 1; }
  int node_count() const override { return 1; }
  void allreduce_sum(float*, int64_t) override {}
  void allreduce_sum(double*, int64_t) override {}
  void allreduce_max(double*, int64_t) override {}
  void start_allreduce_sum(float*, int64_t, Pending& op) override { op.active = false; }
  bool test(Pending& op) override { return !op.active; }
  void wait(Pending&) override {}
  void broadcast(void*, int64_t, int) override {}
  void barrier() override {}
  std::vector<uint64_t> allgather(uint64_t value) override { return {value}; }
  void reduce_scatter_sum(float*, std::span<const int64_t>) override {}
  void reduce_scatter_sum(uint16_t*, std::span<const int64_t>) override {}
  void allgather(float*, std::span<const int64_t>) override {}
  void allgather(uint16_t*, std::span<const int64_t>) override {}
  void gather(const float* piece, std::span<const int64_t> bounds, float* full, int) override {
    std::copy(piece, piece + (bounds[1] - bounds[0]), full + bounds[0]);
  }
  void allgather(const double* mine, int64_t k, double* all) override { std::copy(mine, mine + k, all); }
};

// MPI_COMM_WORLD. MpiSession initializes and finalizes MPI.
class MpiSession {
 public:
  MpiSession(int* argc, char*** argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
  // Ends every rank at once (no rank waits forever for a failed one).
  [[noreturn]] static void abort(int exit_code);
};

std::unique_ptr<Comm> make_world_comm();

}  // namespace tandem::dist
