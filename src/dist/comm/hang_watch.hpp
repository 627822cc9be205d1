#pragma once
// The hang detector behind MpiComm (Comm::set_hang_timeout). Every blocking operation completes
// through HangWatch::complete, which polls instead of blocking, so that a rank that has waited
// too long can ask the others where they are, over a communicator of its own, and end the job
// with a message naming the ranks that never came and where they were last seen.
#include <mpi.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "tandem/dist/comm.hpp"

namespace tandem::dist {

class HangWatch {
 public:
  explicit HangWatch(MPI_Comm world);  // collective: duplicates `world`
  ~HangWatch();
  HangWatch(const HangWatch&) = delete;
  HangWatch& operator=(const HangWatch&) = delete;

  void set_timeout(double seconds) { timeout_ = seconds; }
  // This rank's step and phase; answers waiting questions and, off rank 0, sends a heartbeat
  // to rank 0 at most every kHeartbeatSeconds.
  void mark(int64_t step, Phase phase);
  // Numbers a collective as it starts: the same sequence on every rank (SPMD), whichever
  // order the ranks later complete them in.
  int64_t start() { return ++ops_; }
  // Completes the n requests of collective `sequence` (`what`): MPI_Waitall without a
  // timeout; with one, polls, answers other ranks' questions, and past the timeout ends the
  // job. Returns MPI's code.
  int complete(MPI_Request* requests, int n, int64_t sequence, const char* what);

 private:
  using Clock = std::chrono::steady_clock;
  // What a rank tells the others: the blocking operation it is in (its number, 0: none), how
  // long it has waited there, and its last mark.
  struct Position {
    int64_t op = 0, waited_ms = 0, step = 0, phase = 0;
  };
  // Answers questions; takes answers and (rank 0) heartbeats.
  void serve();
  [[noreturn]] void end_job(MPI_Request* requests, int n, const char* what);
  std::string describe_rank(int rank) const;

  MPI_Comm watch_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1;
  double timeout_ = 0;
  int64_t ops_ = 0;  // blocking operations entered so far (the same sequence on every rank)
  Position here_;    // op is set while waiting in complete()
  Clock::time_point waiting_since_;
  // Heartbeats: the one in flight (other ranks) and the last one from each rank (rank 0).
  Position heartbeat_;
  MPI_Request heartbeat_request_ = MPI_REQUEST_NULL;
  Clock::time_point last_heartbeat_;
  std::vector<Position> seen_;
  std::vector<Clock::time_point> seen_at_;
  std::vector<char> heard_;  // a heartbeat came from this rank
  // Answers: sent to each asker (one in flight per asker), and received while asking.
  std::vector<Position> answer_out_;
  std::vector<MPI_Request> answer_requests_;
  std::vector<Position> answer_in_;
  std::vector<char> answered_;
};

}  // namespace tandem::dist
