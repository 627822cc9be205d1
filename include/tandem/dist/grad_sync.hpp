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
  // mode kAuto is resolved by resolve(mode, comm.node_count()).
  GradientSync(Comm& comm, std::span<float> grads, GradSyncMode mode, int64_t cap_bytes,
               int64_t first_cap_bytes);

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

  GradSyncMode mode() const { return mode_; }  // never kAuto
  const std::vector<Bucket>& buckets() const { return buckets_; }
  // Seconds spent inside finish() since the last reset: time the step waited for gradients.
  double wait_seconds() const { return wait_seconds_; }
  void reset_wait() { wait_seconds_ = 0; }

 private:
  void poll();

  Comm& comm_;
  std::span<float> grads_;
  GradSyncMode mode_;
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
