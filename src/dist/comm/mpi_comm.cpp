// The only translation unit that includes <mpi.h>.
#include <mpi.h>

#include <cstdlib>
#include <cstring>

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
    MPI_Comm node;
    check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node),
          "MPI_Comm_split_type");
    MPI_Comm_rank(node, &local_rank_);
    MPI_Comm_size(node, &local_size_);
    MPI_Comm_free(&node);
    int leader = local_rank_ == 0 ? 1 : 0;
    check(MPI_Allreduce(&leader, &nodes_, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce");
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_rank() const override { return local_rank_; }
  int local_size() const override { return local_size_; }
  int node_count() const override { return nodes_; }

  void allreduce_sum(float* data, int64_t count) override { reduce(data, count, MPI_FLOAT, MPI_SUM); }
  void allreduce_sum(double* data, int64_t count) override { reduce(data, count, MPI_DOUBLE, MPI_SUM); }
  void allreduce_max(double* data, int64_t count) override { reduce(data, count, MPI_DOUBLE, MPI_MAX); }

  void start_allreduce_sum(float* data, int64_t count, Pending& op) override {
    TANDEM_CHECK(!op.active, "start_allreduce_sum on an operation still in flight");
    TANDEM_CHECK(count < kMaxChunk, "non-blocking allreduce of ", count,
                 " floats is too large; use a smaller bucket");
    MPI_Request r = MPI_REQUEST_NULL;
    check(MPI_Iallreduce(MPI_IN_PLACE, data, static_cast<int>(count), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &r),
          "MPI_Iallreduce");
    store_request(op, r);
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
    check(MPI_Wait(&r, MPI_STATUS_IGNORE), "MPI_Wait");
    store_request(op, r);
  }

  void broadcast(void* data, int64_t bytes, int root) override {
    auto* p = static_cast<char*>(data);
    for (int64_t off = 0; off < bytes; off += kMaxChunk) {
      const int n = static_cast<int>(std::min(kMaxChunk, bytes - off));
      check(MPI_Bcast(p + off, n, MPI_BYTE, root, MPI_COMM_WORLD), "MPI_Bcast");
    }
  }

  void barrier() override { check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier"); }

  std::vector<uint64_t> allgather(uint64_t value) override {
    std::vector<uint64_t> all(size_);
    check(MPI_Allgather(&value, 1, MPI_UINT64_T, all.data(), 1, MPI_UINT64_T, MPI_COMM_WORLD),
          "MPI_Allgather");
    return all;
  }

 private:
  template <typename T>
  void reduce(T* data, int64_t count, MPI_Datatype type, MPI_Op op) {
    if (size_ == 1) return;
    for (int64_t off = 0; off < count; off += kMaxChunk) {
      const int n = static_cast<int>(std::min(kMaxChunk, count - off));
      check(MPI_Allreduce(MPI_IN_PLACE, data + off, n, type, op, MPI_COMM_WORLD), "MPI_Allreduce");
    }
  }

  int rank_ = 0, size_ = 1, local_rank_ = 0, local_size_ = 1, nodes_ = 1;
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
