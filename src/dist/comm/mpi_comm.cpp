// MPI stays in this directory (this file and the hang detector).
#include <mpi.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <exception>

#include "hang_watch.hpp"
#include "tandem/core/bf16.hpp"
#include "tandem/core/error.hpp"
#include "tandem/dist/comm.hpp"

namespace tandem::dist {
namespace {

void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) {
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, msg, &len);
    throw Error(detail::concat("MPI call ", what, " failed: ", std::string(msg, len)));
  }
}

// Large counts are sent in pieces below INT_MAX elements.
constexpr int64_t kMaxChunk = int64_t{1} << 30;

constexpr int kRingTag = 7301;  // point-to-point messages of the ring collectives

// MPI_Request lives in Pending::handle (an int in MPICH, a pointer in Open MPI).
static_assert(sizeof(MPI_Request) <= sizeof(uint64_t));

MPI_Request to_request(const Pending& op) {
  MPI_Request r;
  std::memcpy(&r, &op.handle, sizeof r);
  return r;
}

void store_request(Pending& op, MPI_Request r) {
  op.handle = 0;
  std::memcpy(&op.handle, &r, sizeof r);
  op.active = r != MPI_REQUEST_NULL;
}

class MpiComm final : public Comm {
 public:
  MpiComm() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node_),
          "MPI_Comm_split_type");
    MPI_Comm_rank(node_, &local_rank_);
    MPI_Comm_size(node_, &local_size_);
    int leader = local_rank_ == 0 ? 1 : 0;
    check(MPI_Allreduce(&leader, &nodes_, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce");
    watch_ = std::make_unique<HangWatch>(MPI_COMM_WORLD);
  }

  ~MpiComm() override {
    watch_.reset();
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Comm_free(&node_);
  }
  MpiComm(const MpiComm&) = delete;
  MpiComm& operator=(const MpiComm&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void set_hang_timeout(double seconds) override { watch_->set_timeout(seconds); }
  void mark(int64_t step, Phase phase) override { watch_->mark(step, phase); }

  // One block per node, allocated by the node's first rank and mapped by all; freed (a
  // collective over the node) when the last holder on each rank lets go.
  NodeBlock node_shared(int64_t bytes) override {
    MPI_Win window;
    void* base = nullptr;
    const auto mine = static_cast<MPI_Aint>(local_rank_ == 0 ? bytes : 0);
    check(MPI_Win_allocate_shared(mine, 1, MPI_INFO_NULL, node_, &base, &window), "MPI_Win_allocate_shared");
    MPI_Aint size = 0;
    int unit = 1;
    check(MPI_Win_shared_query(window, 0, &size, &unit, &base), "MPI_Win_shared_query");
    // Freeing is collective over the node: a rank unwinding an error of its own would wait there
    // for ranks that never come, so it leaves the block to the end of the job instead.
    std::shared_ptr<uint8_t> block(static_cast<uint8_t*>(base), [window](uint8_t*) mutable {
      if (std::uncaught_exceptions() == 0) MPI_Win_free(&window);
    });
    return {std::move(block), local_rank_, local_size_};
  }
  void node_barrier() override { check(MPI_Barrier(node_), "MPI_Barrier"); }
  int local_rank() const override { return local_rank_; }
  int local_size() const override { return local_size_; }
  int node_count() const override { return nodes_; }

  void allreduce_sum(float* data, int64_t count) override { reduce(data, count, MPI_FLOAT, MPI_SUM); }
  void allreduce_sum(double* data, int64_t count) override { reduce(data, count, MPI_DOUBLE, MPI_SUM); }
  void allreduce_max(double* data, int64_t count) override { reduce(data, count, MPI_DOUBLE, MPI_MAX); }

  void start_allreduce_sum(float* data, int64_t count, Pending& op) override {
    TANDEM_ASSERT(!op.active, "start_allreduce_sum on an operation still in flight");
    TANDEM_CHECK(count < kMaxChunk, "non-blocking allreduce of ", count,
                 " floats is too large; use a smaller bucket");
    MPI_Request r = MPI_REQUEST_NULL;
    check(MPI_Iallreduce(MPI_IN_PLACE, data, static_cast<int>(count), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &r),
          "MPI_Iallreduce");
    store_request(op, r);
    op.sequence = watch_->start();
  }

  bool test(Pending& op) override {
    if (!op.active) return true;
    MPI_Request r = to_request(op);
    int done = 0;
    check(MPI_Test(&r, &done, MPI_STATUS_IGNORE), "MPI_Test");
    store_request(op, r);
    return done != 0;
  }

  void wait(Pending& op) override {
    if (!op.active) return;
    MPI_Request r = to_request(op);
    check(watch_->complete(&r, 1, op.sequence, "MPI_Iallreduce (a gradient bucket)"), "MPI_Iallreduce");
    store_request(op, r);
  }

  void broadcast(void* data, int64_t bytes, int root) override {
    auto* p = static_cast<char*>(data);
    for (int64_t off = 0; off < bytes; off += kMaxChunk) {
      const int n = static_cast<int>(std::min(kMaxChunk, bytes - off));
      MPI_Request r = MPI_REQUEST_NULL;
      check(MPI_Ibcast(p + off, n, MPI_BYTE, root, MPI_COMM_WORLD, &r), "MPI_Ibcast");
      complete(&r, 1, "MPI_Ibcast");
    }
  }

  void barrier() override {
    MPI_Request r = MPI_REQUEST_NULL;
    check(MPI_Ibarrier(MPI_COMM_WORLD, &r), "MPI_Ibarrier");
    complete(&r, 1, "MPI_Ibarrier");
  }

  std::vector<uint64_t> allgather(uint64_t value) override {
    std::vector<uint64_t> all(size_);
    MPI_Request r = MPI_REQUEST_NULL;
    check(MPI_Iallgather(&value, 1, MPI_UINT64_T, all.data(), 1, MPI_UINT64_T, MPI_COMM_WORLD, &r),
          "MPI_Iallgather");
    complete(&r, 1, "MPI_Iallgather");
    return all;
  }

  void reduce_scatter_sum(float* data, std::span<const int64_t> bounds) override {
    ring_reduce_scatter(data, bounds, MPI_FLOAT, staging_f32_, [](float a, float b) { return a + b; });
  }
  void reduce_scatter_sum(uint16_t* data, std::span<const int64_t> bounds) override {
    ring_reduce_scatter(data, bounds, MPI_UINT16_T, staging_bf16_,
                        [](uint16_t a, uint16_t b) { return to_bf16(from_bf16(a) + from_bf16(b)); });
  }
  void allgather(float* data, std::span<const int64_t> bounds) override {
    allgather(data, bounds, MPI_FLOAT);
  }
  void allgather(uint16_t* data, std::span<const int64_t> bounds) override {
    allgather(data, bounds, MPI_UINT16_T);
  }

  void gather(const float* piece, std::span<const int64_t> bounds, float* full, int root) override {
    set_counts(bounds);
    MPI_Request r = MPI_REQUEST_NULL;
    check(MPI_Igatherv(piece, counts_[rank_], MPI_FLOAT, full, counts_.data(), displs_.data(), MPI_FLOAT,
                       root, MPI_COMM_WORLD, &r),
          "MPI_Igatherv");
    complete(&r, 1, "MPI_Igatherv");
  }

  void allgather(const double* mine, int64_t k, double* all) override {
    MPI_Request r = MPI_REQUEST_NULL;
    check(MPI_Iallgather(mine, static_cast<int>(k), MPI_DOUBLE, all, static_cast<int>(k), MPI_DOUBLE,
                         MPI_COMM_WORLD, &r),
          "MPI_Iallgather");
    complete(&r, 1, "MPI_Iallgather");
  }

 private:
  // Every blocking operation ends here, numbered as it starts: polled by the hang detector
  // when it is on.
  void complete(MPI_Request* requests, int n, const char* what) {
    const int64_t sequence = watch_->start();
    check(watch_->complete(requests, n, sequence, what), what);
  }

  // counts_ and displs_ from bounds (sized once: no allocation in a steady step).
  void set_counts(std::span<const int64_t> bounds) {
    TANDEM_ASSERT(static_cast<int>(bounds.size()) == size_ + 1, "piece bounds: ", bounds.size(),
                  " offsets for ", size_, " ranks");
    TANDEM_CHECK(bounds[size_] < kMaxChunk, "a sharded array of ", bounds[size_], " elements is too large");
    counts_.resize(size_);
    displs_.resize(size_);
    for (int r = 0; r < size_; ++r) {
      counts_[r] = static_cast<int>(bounds[r + 1] - bounds[r]);
      displs_[r] = static_cast<int>(bounds[r]);
    }
  }

  template <typename T>
  void allgather(T* data, std::span<const int64_t> bounds, MPI_Datatype type) {
    if (size_ == 1) return;
    set_counts(bounds);
    MPI_Request r = MPI_REQUEST_NULL;
    check(MPI_Iallgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, data, counts_.data(), displs_.data(), type,
                          MPI_COMM_WORLD, &r),
          "MPI_Iallgatherv");
    complete(&r, 1, "MPI_Iallgatherv");
  }

  // Step s (0 .. R-2): send piece (rank - s - 1) to the next rank, receive piece (rank - s - 2)
  // from the previous one and add this rank's values to it; piece r is complete on rank r.
  template <typename T, typename Add>
  void ring_reduce_scatter(T* data, std::span<const int64_t> bounds, MPI_Datatype type,
                           std::vector<T>& staging, Add add) {
    if (size_ == 1) return;
    set_counts(bounds);
    const int next = (rank_ + 1) % size_, prev = (rank_ + size_ - 1) % size_;
    const int largest = *std::max_element(counts_.begin(), counts_.end());
    if (static_cast<int>(staging.size()) < largest) staging.resize(largest);
    for (int s = 0; s < size_ - 1; ++s) {
      const int send = ((rank_ - s - 1) % size_ + size_) % size_,
                recv = ((rank_ - s - 2) % size_ + size_) % size_;
      MPI_Request r[2] = {MPI_REQUEST_NULL, MPI_REQUEST_NULL};
      check(MPI_Irecv(staging.data(), counts_[recv], type, prev, kRingTag, MPI_COMM_WORLD, &r[0]),
            "MPI_Irecv");
      check(MPI_Isend(data + bounds[send], counts_[send], type, next, kRingTag, MPI_COMM_WORLD, &r[1]),
            "MPI_Isend");
      complete(r, 2, "the ring reduce-scatter");
      T* piece = data + bounds[recv];
      for (int i = 0; i < counts_[recv]; ++i) piece[i] = add(staging[i], piece[i]);
    }
  }

  template <typename T>
  void reduce(T* data, int64_t count, MPI_Datatype type, MPI_Op op) {
    if (size_ == 1) return;
    for (int64_t off = 0; off < count; off += kMaxChunk) {
      const int n = static_cast<int>(std::min(kMaxChunk, count - off));
      MPI_Request r = MPI_REQUEST_NULL;
      check(MPI_Iallreduce(MPI_IN_PLACE, data + off, n, type, op, MPI_COMM_WORLD, &r), "MPI_Iallreduce");
      complete(&r, 1, "MPI_Iallreduce");
    }
  }

  int rank_ = 0, size_ = 1, local_rank_ = 0, local_size_ = 1, nodes_ = 1;
  MPI_Comm node_ = MPI_COMM_NULL;     // the ranks of this node
  std::vector<int> counts_, displs_;  // per-rank piece sizes and offsets
  std::vector<float> staging_f32_;    // the ring's incoming piece
  std::vector<uint16_t> staging_bf16_;
  std::unique_ptr<HangWatch> watch_;  // completes every blocking operation
};

}  // namespace

MpiSession::MpiSession(int* argc, char*** argv) {
  int provided = 0;
  MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
  // Errors come back as return codes, which check() turns into exceptions.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}

MpiSession::~MpiSession() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

void MpiSession::abort(int exit_code) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  int size = 1;
  if (initialized) MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (initialized && size > 1) MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::exit(exit_code);
}

std::unique_ptr<Comm> make_world_comm() {
  return std::make_unique<MpiComm>();
}

}  // namespace tandem::dist
