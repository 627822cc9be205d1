// GoogleTest under mpiexec: every rank runs every test. A harness around GoogleTest makes
// failures visible and a failing test unable to hang the job:
//
// - every rank prints each failed assertion, every line prefixed with "[rank R] ";
// - a fatal failure (ASSERT_*, FAIL(), an exception escaping the test) ends the whole job at
//   once through MpiSession::abort (MPI_Abort). The failing rank has left the test, so the
//   other ranks would wait for it in their next collective until CTest's timeout. A
//   non-fatal failure (EXPECT_*) lets the test go on through its collectives on every rank, so
//   the run continues and later tests still report;
// - at the end of every test the ranks agree: a failure on any rank fails the test on every
//   rank, and rank 0's summary names the ranks that failed;
// - a watchdog thread ends the job when a rank spends longer than TANDEM_MPI_TEST_TIMEOUT
//   seconds (default 120; 0 turns it off) in one test, printing "rank R stuck in TEST", so
//   that a rank waiting in a collective forever is named. A rank that finished the test and
//   waits for the others at the end-of-test agreement gives them twice as long, so that the
//   rank that is really stuck is the one that reports.
//
// Rank 0 also prints GoogleTest's usual progress and summary; other ranks print failures only.
// tests/mpi/harness_selftest.cpp checks all this on tests that fail on purpose.
#include <gtest/gtest.h>

#include <unistd.h>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mpi_env.hpp"
#include "tandem/core/error.hpp"
#include "tandem/core/strings.hpp"

namespace tandem::testing {
dist::Comm* g_world = nullptr;

namespace {

using ::testing::TestEventListener;
using ::testing::TestInfo;
using ::testing::TestPartResult;
using ::testing::TestSuite;
using ::testing::UnitTest;

int g_rank = 0;

// One write per message (whole lines, each prefixed with the rank), flushed at once: lines
// of different ranks do not mix, and nothing is left in a buffer if the job ends next.
void emit(const std::string& text) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out += "[rank " + std::to_string(g_rank) + "] " + text.substr(start, end - start) + "\n";
    start = end + 1;
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
}

[[noreturn]] void end_job() {
  std::fflush(stdout);
  std::fflush(stderr);
  // Backstop: should MPI_Abort not return control to the runtime (it is called from the
  // watchdog thread, too), SIGALRM's default action ends this process, and mpiexec ends the
  // job when a rank dies.
  alarm(20);
  dist::MpiSession::abort(1);
}

class Watchdog {
 public:
  explicit Watchdog(double seconds) : seconds_(seconds) {
    if (seconds_ > 0) thread_ = std::thread([this] { loop(); });
  }
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  // The rank entered `test` (phase: what it is doing there); it has `factor` x the limit.
  void arm(const std::string& test, const char* phase, double factor) {
    std::lock_guard<std::mutex> lock(mutex_);
    armed_ = true;
    test_ = test;
    phase_ = phase;
    limit_ = seconds_ * factor;
    start_ = Clock::now();
    cv_.notify_all();
  }
  void disarm() {
    std::lock_guard<std::mutex> lock(mutex_);
    armed_ = false;
    cv_.notify_all();
  }

 private:
  using Clock = std::chrono::steady_clock;

  void loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stop_) {
      if (!armed_) {
        cv_.wait(lock);
        continue;
      }
      // Re-armed or disarmed while waiting: start over with the new deadline.
      if (cv_.wait_until(lock, deadline()) == std::cv_status::timeout && armed_ && !stop_ &&
          Clock::now() >= deadline()) {
        char after[32];
        std::snprintf(after, sizeof after, "%g", limit_);
        emit("rank " + std::to_string(g_rank) + " stuck in " + test_ + " (" + phase_ + ") after " + after +
             " s; ending the job (TANDEM_MPI_TEST_TIMEOUT sets the limit)");
        end_job();
      }
    }
  }

  Clock::time_point deadline() const {
    return start_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(limit_));
  }

  const double seconds_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false, armed_ = false;
  std::string test_;
  const char* phase_ = "";
  double limit_ = 0;
  Clock::time_point start_;
  std::thread thread_;
};

// Wraps GoogleTest's result printer (kept on rank 0 only): forwards every event to it except
// assertion results, which every rank prints itself with its rank.
class MpiHarness : public TestEventListener {
 public:
  MpiHarness(dist::Comm& world, std::unique_ptr<TestEventListener> printer, double timeout_s)
      : world_(world), printer_(std::move(printer)), watchdog_(timeout_s) {}

  void OnTestPartResult(const TestPartResult& r) override {
    if (!r.failed()) return;
    std::string where = r.file_name() ? std::string(r.file_name()) : "unknown file";
    if (r.line_number() >= 0) where += ":" + std::to_string(r.line_number());
    // (Not UnitTest::current_test_info(): GoogleTest holds its lock while reporting.)
    emit(where + ": " + (r.fatally_failed() ? "Failure (fatal)" : "Failure") + " in " + test_ + "\n" +
         r.message());
    if (r.fatally_failed()) {
      emit("fatal failure in " + test_ +
           ": ending the job, since the other ranks would wait for this one in their next collective");
      end_job();
    }
  }

  void OnTestStart(const TestInfo& t) override {
    test_ = std::string(t.test_suite_name()) + "." + t.name();
    watchdog_.arm(test_, "in the test", 1.0);
    if (printer_) printer_->OnTestStart(t);
  }

  void OnTestEnd(const TestInfo& t) override {
    const std::string name = std::string(t.test_suite_name()) + "." + t.name();
    watchdog_.arm(name, "waiting at the end of the test for the other ranks to finish it", 2.0);
    // A failure on any rank fails the test on every rank (recorded before rank 0 prints it).
    const auto failed = world_.allgather(t.result()->Failed() ? 1 : 0);
    watchdog_.disarm();
    std::vector<std::string> ranks;
    for (size_t r = 0; r < failed.size(); ++r)
      if (failed[r]) ranks.push_back(std::to_string(r));
    if (!ranks.empty() && !t.result()->Failed())
      ADD_FAILURE() << name << " failed on rank(s) " << join(ranks, ", ")
                    << " (their messages are prefixed with their rank)";
    if (printer_) printer_->OnTestEnd(t);
    test_ = "(outside any test)";
  }

  // Everything else goes to the printer unchanged.
  void OnTestProgramStart(const UnitTest& u) override {
    if (printer_) printer_->OnTestProgramStart(u);
  }
  void OnTestIterationStart(const UnitTest& u, int i) override {
    if (printer_) printer_->OnTestIterationStart(u, i);
  }
  void OnEnvironmentsSetUpStart(const UnitTest& u) override {
    if (printer_) printer_->OnEnvironmentsSetUpStart(u);
  }
  void OnEnvironmentsSetUpEnd(const UnitTest& u) override {
    if (printer_) printer_->OnEnvironmentsSetUpEnd(u);
  }
  void OnTestSuiteStart(const TestSuite& s) override {
    if (printer_) printer_->OnTestSuiteStart(s);
  }
  void OnTestDisabled(const TestInfo& t) override {
    if (printer_) printer_->OnTestDisabled(t);
  }
  void OnTestSuiteEnd(const TestSuite& s) override {
    if (printer_) printer_->OnTestSuiteEnd(s);
  }
#ifndef GTEST_REMOVE_LEGACY_TEST_CASEAPI_
  // GoogleTest's printer implements the legacy names; the repeater calls both.
  void OnTestCaseStart(const ::testing::TestCase& s) override {
    if (printer_) printer_->OnTestCaseStart(s);
  }
  void OnTestCaseEnd(const ::testing::TestCase& s) override {
    if (printer_) printer_->OnTestCaseEnd(s);
  }
#endif
  void OnEnvironmentsTearDownStart(const UnitTest& u) override {
    if (printer_) printer_->OnEnvironmentsTearDownStart(u);
  }
  void OnEnvironmentsTearDownEnd(const UnitTest& u) override {
    if (printer_) printer_->OnEnvironmentsTearDownEnd(u);
  }
  void OnTestIterationEnd(const UnitTest& u, int i) override {
    if (printer_) printer_->OnTestIterationEnd(u, i);
  }
  void OnTestProgramEnd(const UnitTest& u) override {
    if (printer_) printer_->OnTestProgramEnd(u);
  }

 private:
  dist::Comm& world_;
  std::unique_ptr<TestEventListener> printer_;
  Watchdog watchdog_;
  std::string test_ = "(outside any test)";
};

double watchdog_seconds() {
  const char* v = std::getenv("TANDEM_MPI_TEST_TIMEOUT");
  if (!v || !*v) return 120;
  const double s = parse_double(v, "TANDEM_MPI_TEST_TIMEOUT");
  TANDEM_USAGE_CHECK(s >= 0, "TANDEM_MPI_TEST_TIMEOUT must be >= 0 seconds (0: no watchdog), got ", v);
  return s;
}

}  // namespace
}  // namespace tandem::testing

int main(int argc, char** argv) {
  namespace tt = tandem::testing;
  tandem::dist::MpiSession mpi(&argc, &argv);
  auto world = tandem::dist::make_world_comm();
  tt::g_world = world.get();
  tt::g_rank = world->rank();
  ::testing::InitGoogleTest(&argc, argv);
  double timeout_s = 0;
  try {
    timeout_s = tt::watchdog_seconds();
  } catch (const tandem::Error& e) {
    tt::emit(e.what());
    return 2;
  }
  auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
  std::unique_ptr<::testing::TestEventListener> printer(
      listeners.Release(listeners.default_result_printer()));
  if (world->rank() != 0) printer.reset();
  listeners.Append(new tt::MpiHarness(*world, std::move(printer), timeout_s));
  const int failed = RUN_ALL_TESTS();
  // Every test's result is already agreed on; this keeps the exit codes equal regardless.
  double f = failed;
  world->allreduce_max(&f, 1);
  return f > 0 ? 1 : 0;
}
