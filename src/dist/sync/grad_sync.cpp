#include "tandem/dist/grad_sync.hpp"

#include <algorithm>
#include <chrono>

#include "tandem/core/error.hpp"
#include "tandem/tensor/kernels.hpp"

namespace tandem::dist {

GradSyncMode resolve(GradSyncMode mode, int nodes) {
  if (mode != GradSyncMode::kAuto) return mode;
  return nodes > 1 ? GradSyncMode::kBucketed : GradSyncMode::kBlocking;
}

std::vector<Bucket> plan_buckets(int64_t floats, int64_t cap_bytes, int64_t first_cap_bytes) {
  TANDEM_USAGE_CHECK(cap_bytes >= 4 && first_cap_bytes >= 4, "--bucket-mb must hold at least one float");
  std::vector<Bucket> out;
  for (int64_t begin = 0; begin < floats;) {
    const int64_t cap = (out.empty() ? first_cap_bytes : cap_bytes) / 4;
    const int64_t end = std::min(floats, begin + cap);
    out.push_back({begin, end});
    begin = end;
  }
  return out;
}

GradientSync::GradientSync(Comm& comm, std::span<float> grads, GradSyncMode mode, int64_t cap_bytes,
                           int64_t first_cap_bytes, ExchangeOptions exchange)
    : comm_(comm),
      grads_(grads),
      mode_(exchange.shard || exchange.dtype == GradDtype::kBf16 ? GradSyncMode::kBlocking
                                                                 : resolve(mode, comm.node_count())),
      exchange_(exchange) {
  const auto floats = static_cast<int64_t>(grads.size());
  pieces_ = piece_bounds(floats, comm.size());
  piece_sums_.resize(static_cast<size_t>(comm.size()));
  if (exchange.dtype == GradDtype::kBf16 && comm.size() > 1) {
    residual_.assign(grads.size(), 0.0f);
    sent_.resize(grads.size());
  }
  buckets_ = mode_ == GradSyncMode::kBlocking ? plan_buckets(floats, floats * 4 + 4, floats * 4 + 4)
                                              : plan_buckets(floats, cap_bytes, first_cap_bytes);
  pending_.resize(buckets_.size());
}

void GradientSync::measure(int64_t begin, int64_t end) {
  if (!measuring_) return;
  local_sq_ += kernels::sum_squares(grads_.data() + begin, end - begin);
}

void GradientSync::poll() {
  while (completed_ < started_ && comm_.test(pending_[completed_])) ++completed_;
}

void GradientSync::ready(int64_t floats) {
  if (mode_ == GradSyncMode::kBlocking || comm_.size() == 1) return;
  while (started_ < buckets_.size() && buckets_[started_].end <= floats) {
    const Bucket& b = buckets_[started_];
    measure(b.begin, b.end);
    comm_.start_allreduce_sum(grads_.data() + b.begin, b.end - b.begin, pending_[started_]);
    ++started_;
  }
  poll();
}

void GradientSync::finish() {
  using clock = std::chrono::steady_clock;
  const int64_t unstarted = started_ < buckets_.size() ? buckets_[started_].begin : 0;
  const bool bucketed = mode_ == GradSyncMode::kBucketed && comm_.size() > 1;
  measure(bucketed ? unstarted : 0, static_cast<int64_t>(grads_.size()));
  measuring_ = false;
  const auto t0 = clock::now();
  if (comm_.size() > 1) {
    if (exchange_.dtype == GradDtype::kBf16) {
      exchange_bf16();
    } else if (mode_ == GradSyncMode::kBlocking) {
      comm_.reduce_scatter_sum(grads_.data(), pieces_);
      if (!sharded()) comm_.allgather(grads_.data(), pieces_);
    } else {
      // Buckets still unstarted have nothing left to overlap with: one blocking allreduce
      // over all of them is cheaper than non-blocking ones (same order on every rank).
      if (started_ < buckets_.size()) {
        const int64_t begin = buckets_[started_].begin;
        comm_.allreduce_sum(grads_.data() + begin, static_cast<int64_t>(grads_.size()) - begin);
      }
      for (; completed_ < started_; ++completed_) comm_.wait(pending_[completed_]);
    }
  }
  started_ = completed_ = 0;
  wait_seconds_ += std::chrono::duration<double>(clock::now() - t0).count();
}

void GradientSync::exchange_bf16() {
  const auto n = static_cast<int64_t>(grads_.size());
  kernels::to_bf16_with_feedback(grads_.data(), residual_.data(), sent_.data(), n);
  comm_.reduce_scatter_sum(sent_.data(), pieces_);
  if (sharded()) {  // only this rank's piece is needed
    const int64_t begin = pieces_[comm_.rank()], end = pieces_[comm_.rank() + 1];
    kernels::from_bf16(sent_.data() + begin, grads_.data() + begin, end - begin);
  } else {
    comm_.allgather(sent_.data(), pieces_);
    kernels::from_bf16(sent_.data(), grads_.data(), n);
  }
}

void GradientSync::gather_params(std::span<float> params) {
  if (!sharded()) return;
  const auto t0 = std::chrono::steady_clock::now();
  comm_.allgather(params.data(), pieces_);
  wait_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double GradientSync::sum_squares() {
  const int ranks = comm_.size();
  if (sharded()) {
    const int r = comm_.rank();
    const double mine = kernels::sum_squares(grads_.data() + pieces_[r], pieces_[r + 1] - pieces_[r]);
    comm_.allgather(&mine, 1, piece_sums_.data());
  } else {
    for (int q = 0; q < ranks; ++q)
      piece_sums_[q] = kernels::sum_squares(grads_.data() + pieces_[q], pieces_[q + 1] - pieces_[q]);
  }
  double total = 0;
  for (const double s : piece_sums_) total += s;
  return total;
}

}  // namespace tandem::dist
