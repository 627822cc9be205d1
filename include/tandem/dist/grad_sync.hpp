#pragma once
// Summing the gradient arena over the ranks after backward.
//
// Blocking mode: one allreduce of the whole arena once backward is done. Bucketed mode: the
// arena (laid out in the order backward completes it) is cut into buckets by a byte cap, and
// each bucket's non-blocking allreduce starts as soon as backward has written its last
// gradient, so communication overlaps the rest of backward. Every rank starts the same
// buckets in the same order. Progress is driven by polling from backward (ready(), called
// between ops and between the pieces of large gradients); a progress thread was measured to
// be slower on this kind of machine (README). Buckets still unstarted when backward ends are
// summed by one blocking allreduce, which costs less than non-blocking ones.
//
// Blocking mode sums with a ring reduce-scatter and an allgather (the traffic of a ring
// allreduce), in a fixed order. With a sharded optimizer (ZeRO stage 1) the allgather moves
// to the parameters: after the reduce-scatter each rank has the summed gradient of its piece,
// updates that piece, and gather_params() hands every piece to every rank. The same sums, so
// the same updates as unsharded. --grad-dtype bf16 sends bfloat16 gradients (half the bytes):
// each rank adds its rounding error of the last step (its residual) before rounding, so no
// part of a gradient is lost, only delayed (error feedback, Seide et al. 2014; Karimireddy et
// al. 2019). Sharding and bf16 exchange sum after backward (no buckets).
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tandem/core/enum_names.hpp"
#include "tandem/dist/comm.hpp"

namespace tandem::dist {

enum class GradSyncMode { kAuto, kBlocking, kBucketed };
inline constexpr EnumName<GradSyncMode> kGradSyncModeNames[] = {
    {GradSyncMode::kAuto, "auto", "blocking on one node, bucketed across nodes"},
    {GradSyncMode::kBlocking, "blocking", "one allreduce after backward"},
    {GradSyncMode::kBucketed, "bucketed", "allreduce buckets as backward completes them"},
};
constexpr std::span<const EnumName<GradSyncMode>> enum_names(GradSyncMode) {
  return kGradSyncModeNames;
}
enum class GradDtype { kFp32, kBf16 };
inline constexpr EnumName<GradDtype> kGradDtypeNames[] = {
    {GradDtype::kFp32, "fp32", "gradients summed in fp32"},
    {GradDtype::kBf16, "bf16",
     "bf16 gradients with a per-rank fp32 error-feedback residual (half the bytes)"},
};
constexpr std::span<const EnumName<GradDtype>> enum_names(GradDtype) {
  return kGradDtypeNames;
}

struct ExchangeOptions {
  GradDtype dtype = GradDtype::kFp32;
  bool shard = false;  // reduce-scatter only; the optimizer updates this rank's piece (ZeRO 1)
};

// auto: on one node the "transfer" is a CPU copy with no spare core to hide it on, and one
// blocking allreduce measured fastest (README, Scaling); across nodes, overlap with backward.
GradSyncMode resolve(GradSyncMode mode, int nodes);

struct Bucket {
  int64_t begin = 0, end = 0;  // floats into the arena
};

// Cuts [0, floats) into buckets: the first holds at most first_cap_bytes (small, so the
// first allreduce starts early), the others at most cap_bytes.
std::vector<Bucket> plan_buckets(int64_t floats, int64_t cap_bytes, int64_t first_cap_bytes);

class GradientSync {
 public:
  // mode kAuto is resolved by resolve(mode, comm.node_count()); sharding and bf16 are blocking.
  GradientSync(Comm& comm, std::span<float> grads, GradSyncMode mode, int64_t cap_bytes,
               int64_t first_cap_bytes, ExchangeOptions exchange = {});

  // Backward has written every gradient in [0, floats): starts the buckets this completes
  // and drives those in flight. Cheap; call it between ops.
  void ready(int64_t floats);
  // Starts whatever is left, waits until every bucket is summed, and counts the wait.
  void finish();
  // For the gradient noise scale: measure this step the squared norm of this rank's own
  // gradient, each bucket just before it is summed (call before backward starts).
  void measure_local_norm() {
    measuring_ = true;
    local_sq_ = 0;
  }
  // That norm after finish(); measuring then stops until asked again.
  double local_sq_norm() const { return local_sq_; }

  // Sharded: every rank's updated piece of the parameters to every rank (call on all ranks
  // after the optimizer step, counted in wait_seconds). Otherwise nothing.
  void gather_params(std::span<float> params);
  // The squared norm of the summed gradient (after finish()), added up per piece in piece
  // order: the same bits sharded or not.
  double sum_squares();
  // The arena's pieces, one per rank; with sharding, this rank updates piece rank().
  const std::vector<int64_t>& pieces() const { return pieces_; }
  bool sharded() const { return exchange_.shard && comm_.size() > 1; }
  // bf16 exchange: this rank's rounding error not yet sent (empty otherwise).
  std::span<float> residual() { return residual_; }

  GradSyncMode mode() const { return mode_; }  // never kAuto
  bool overlaps() const { return mode_ == GradSyncMode::kBucketed && comm_.size() > 1; }
  const std::vector<Bucket>& buckets() const { return buckets_; }
  // Seconds spent inside finish() since the last reset: time the step waited for gradients.
  double wait_seconds() const { return wait_seconds_; }
  void reset_wait() { wait_seconds_ = 0; }

 private:
  void poll();
  void exchange_bf16();

  Comm& comm_;
  std::span<float> grads_;
  GradSyncMode mode_;
  ExchangeOptions exchange_;
  std::vector<int64_t> pieces_;
  std::vector<double> piece_sums_;  // sum_squares(): one per piece
  std::vector<float> residual_;     // bf16: the error feedback
  std::vector<uint16_t> sent_;      // bf16: the rounded gradients, summed in place
  std::vector<Bucket> buckets_;
  std::vector<Pending> pending_;
  size_t started_ = 0;    // buckets started this step
  size_t completed_ = 0;  // buckets known complete this step
  double wait_seconds_ = 0;
  bool measuring_ = false;
  double local_sq_ = 0;  // this rank's gradient, before the sum (measure_local_norm)
  void measure(int64_t begin, int64_t end);
};

}  // namespace tandem::dist
