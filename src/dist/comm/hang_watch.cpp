#include "hang_watch.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "tandem/core/log.hpp"

namespace tandem::dist {
namespace {

constexpr int kQueryTag = 1, kAnswerTag = 2, kHeartbeatTag = 3;
constexpr double kHeartbeatSeconds = 0.1;
// After its timeout a rank collects answers this long; a rank that is not the one to report
// waits this much longer for the report before giving it itself. Both fit the promise that a
// job ends within --hang-timeout + 10 s.
constexpr double kAskSeconds = 3, kReportSeconds = 4;
constexpr int kPositionWords = 4;  // the int64 fields of a Position

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

std::string one_decimal(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

}  // namespace

const char* phase_name(Phase phase) {
  static const char* const names[] = {"setup",          "forward and backward", "gradient exchange",
                                      "optimizer step", "evaluation",           "checkpoint",
                                      "end of epoch"};
  const auto i = static_cast<int>(phase);
  return i >= 0 && i < static_cast<int>(Phase::kCount) ? names[i] : "unknown";
}

HangWatch::HangWatch(MPI_Comm world) {
  MPI_Comm_dup(world, &watch_);
  MPI_Comm_rank(watch_, &rank_);
  MPI_Comm_size(watch_, &size_);
  const auto n = static_cast<size_t>(size_);
  seen_.resize(n);
  seen_at_.assign(n, Clock::now());
  answer_out_.resize(n);
  answer_requests_.assign(n, MPI_REQUEST_NULL);
  answer_in_.resize(n);
  answered_.assign(n, 0);
  heard_.assign(n, 0);
  last_heartbeat_ = Clock::now() - std::chrono::hours(1);  // the first mark sends one
}

HangWatch::~HangWatch() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) return;
  // Small messages complete locally (eager); whatever nobody received is left to MPI_Finalize.
  MPI_Wait(&heartbeat_request_, MPI_STATUS_IGNORE);
  MPI_Waitall(size_, answer_requests_.data(), MPI_STATUSES_IGNORE);
  MPI_Comm_free(&watch_);
}

void HangWatch::mark(int64_t step, Phase phase) {
  here_.step = step;
  here_.phase = static_cast<int64_t>(phase);
  if (timeout_ <= 0 || size_ == 1) return;
  serve();
  // The first training step is always sent, so a rank stopped early is still placed.
  const bool first_step = heartbeat_.step == 0 && step > 0;
  if (rank_ == 0 || (seconds_since(last_heartbeat_) < kHeartbeatSeconds && !first_step)) return;
  int done = 0;
  MPI_Test(&heartbeat_request_, &done, MPI_STATUS_IGNORE);
  if (!done) return;  // rank 0 has not taken the last one yet
  heartbeat_ = here_;
  MPI_Isend(&heartbeat_, kPositionWords, MPI_INT64_T, 0, kHeartbeatTag, watch_, &heartbeat_request_);
  last_heartbeat_ = Clock::now();
}

void HangWatch::serve() {
  for (;;) {
    int flag = 0;
    MPI_Status status;
    MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, watch_, &flag, &status);
    if (!flag) return;
    const int from = status.MPI_SOURCE;
    Position in;
    MPI_Recv(&in, kPositionWords, MPI_INT64_T, from, status.MPI_TAG, watch_, MPI_STATUS_IGNORE);
    if (status.MPI_TAG == kQueryTag) {
      MPI_Wait(&answer_requests_[from], MPI_STATUS_IGNORE);  // the previous answer (long delivered)
      answer_out_[from] = here_;
      answer_out_[from].waited_ms = here_.op ? static_cast<int64_t>(1000 * seconds_since(waiting_since_)) : 0;
      MPI_Isend(&answer_out_[from], kPositionWords, MPI_INT64_T, from, kAnswerTag, watch_,
                &answer_requests_[from]);
    } else if (status.MPI_TAG == kAnswerTag) {
      answer_in_[from] = in;
      answered_[from] = 1;
    } else if (status.MPI_TAG == kHeartbeatTag) {
      seen_[from] = in;
      seen_at_[from] = Clock::now();
      heard_[from] = 1;
    }
  }
}

int HangWatch::complete(MPI_Request* requests, int n, int64_t sequence, const char* what) {
  if (timeout_ <= 0 || size_ == 1) return MPI_Waitall(n, requests, MPI_STATUSES_IGNORE);
  here_.op = sequence;
  waiting_since_ = Clock::now();
  for (unsigned spin = 1;; ++spin) {
    int done = 0;
    const int rc = MPI_Testall(n, requests, &done, MPI_STATUSES_IGNORE);
    if (rc != MPI_SUCCESS || done) {
      here_.op = 0;
      return rc;
    }
    if (spin % 256 != 0) continue;  // reading the clock and probing cost more than a test
    serve();
    if (seconds_since(waiting_since_) > timeout_) end_job(requests, n, what);
  }
}

std::string HangWatch::describe_rank(int r) const {
  const auto& p = answer_in_[r];
  const std::string at =
      "global step " + std::to_string(p.step) + ", " + phase_name(static_cast<Phase>(p.phase));
  if (answered_[r] && p.op == here_.op)
    return "waiting here for " + one_decimal(static_cast<double>(p.waited_ms) / 1000) + " s (" + at + ")";
  if (answered_[r] && p.op == 0) return "busy outside any collective, at " + at;
  if (answered_[r]) return "waiting in collective #" + std::to_string(p.op) + " (" + at + ")";
  if (rank_ == 0 && r != 0 && heard_[r])
    return "NOT ARRIVED: no answer (stopped, dead, or stuck outside MPI); last seen " +
           one_decimal(seconds_since(seen_at_[r])) + " s ago at global step " +
           std::to_string(seen_[r].step) + ", " + phase_name(static_cast<Phase>(seen_[r].phase));
  return "NOT ARRIVED: no answer (stopped, dead, or stuck outside MPI)";
}

void HangWatch::end_job(MPI_Request* requests, int n, const char* what) {
  const double waited = seconds_since(waiting_since_);
  // Ask every other rank where it is; answer theirs meanwhile.
  Position query = here_;
  std::vector<MPI_Request> asks(static_cast<size_t>(size_), MPI_REQUEST_NULL);
  std::fill(answered_.begin(), answered_.end(), 0);
  for (int r = 0; r < size_; ++r)
    if (r != rank_) MPI_Isend(&query, kPositionWords, MPI_INT64_T, r, kQueryTag, watch_, &asks[r]);
  answer_in_[rank_] = here_;
  answer_in_[rank_].waited_ms = static_cast<int64_t>(1000 * waited);
  answered_[rank_] = 1;
  const auto asked = Clock::now();
  auto all_answered = [&] { return std::count(answered_.begin(), answered_.end(), 1) == size_; };
  while (!all_answered() && seconds_since(asked) < kAskSeconds) {
    int done = 0;
    MPI_Testall(n, requests, &done, MPI_STATUSES_IGNORE);
    serve();
  }
  // The lowest-numbered rank waiting here reports; the others give it time to.
  int reporter = rank_;
  for (int r = 0; r < rank_; ++r)
    if (answered_[r] && answer_in_[r].op != 0) reporter = std::min(reporter, r);
  if (reporter != rank_) {
    const auto since = Clock::now();
    while (seconds_since(since) < kReportSeconds) serve();
  }
  std::vector<int> late;
  for (int r = 0; r < size_; ++r)
    if (!answered_[r]) late.push_back(r);
  std::string msg = "hang detector: rank " + std::to_string(rank_) + " waited " + one_decimal(waited) +
                    " s (--hang-timeout " + one_decimal(timeout_) + ") in " + what + " (collective #" +
                    std::to_string(here_.op) + ", global step " + std::to_string(here_.step) + ", " +
                    phase_name(static_cast<Phase>(here_.phase)) + ")";
  if (!late.empty()) {
    msg += "; rank(s)";
    for (const int r : late) msg += " " + std::to_string(r);
    msg += " have not arrived";
  }
  msg += ":";
  for (int r = 0; r < size_; ++r) msg += "\n  rank " + std::to_string(r) + ": " + describe_rank(r);
  msg +=
      "\nending the job. Check the named rank(s) (a stopped process, a dead or overloaded node); if a rank "
      "is "
      "legitimately this slow (a long checkpoint write), raise --hang-timeout (0 turns the detector off)";
  log::error(msg);
  MPI_Abort(MPI_COMM_WORLD, kHangExitCode);
  std::_Exit(kHangExitCode);
}

}  // namespace tandem::dist
