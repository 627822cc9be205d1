// Agreement between ranks without MPI: checksum (64-bit FNV-1a, known values), and
// require_same / require_same_options on LocalComm and on several "ranks" simulated by
// threads in this process (ThreadComm below, which implements allgather and barrier).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tandem/core/error.hpp"
#include "tandem/dist/sync.hpp"

namespace tandem {
namespace {

// The FNV-1a offset basis: the seed that makes checksum() the published FNV-1a.
constexpr uint64_t kFnvOffsetBasis = 0xcbf29ce484222325ull;  // 14695981039346656037

uint64_t fnv(const std::string& s) {
  return dist::checksum(s.data(), s.size(), kFnvOffsetBasis);
}

TEST(Checksum, KnownFnv1a64Values) {
  // Published FNV-1a 64-bit test vectors (prime 0x100000001b3).
  EXPECT_EQ(fnv(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(fnv("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(fnv("foobar"), 0x85944171f73967e8ull);
}

// The default seed is the FNV-1a offset basis (it once lacked a digit: harmless between ranks,
// which all used the same seed, but not the hash the header promises).
TEST(Checksum, DefaultSeedIsTheFnvOffsetBasis) {
  EXPECT_EQ(dist::checksum("foobar", 6), 0x85944171f73967e8ull);
  EXPECT_EQ(dist::checksum("", 0), kFnvOffsetBasis);
}

TEST(Checksum, SeedContinuesAHashAndEveryByteCounts) {
  // Hashing "bar" from the hash of "foo" is hashing "foobar".
  EXPECT_EQ(dist::checksum("bar", 3, fnv("foo")), fnv("foobar"));
  const float a[3] = {1.0f, 2.0f, 3.0f};
  float b[3];
  std::memcpy(b, a, sizeof a);
  EXPECT_EQ(dist::checksum(a, sizeof a), dist::checksum(b, sizeof b));  // the default seed
  b[2] = std::nextafter(3.0f, 4.0f);                                    // one bit of one float
  EXPECT_NE(dist::checksum(a, sizeof a), dist::checksum(b, sizeof b));
  EXPECT_NE(fnv("ab"), fnv("ba"));
}

TEST(RequireSame, OnLocalCommThereIsNobodyToDisagreeWith) {
  dist::LocalComm local;
  EXPECT_NO_THROW(dist::require_same(local, 42, "the model spec"));
  EXPECT_NO_THROW(dist::require_same_options(local, {{"lr", "0.1"}, {"seed", "3"}}));
  EXPECT_NO_THROW(dist::require_same_options(local, {}));
}

// N ranks as N threads: allgather and barrier meet through shared memory. A collective that
// not every rank reaches fails after 10 s instead of hanging the test.
class ThreadGroup {
 public:
  explicit ThreadGroup(int n) : n_(n), values_(n) {}
  std::vector<uint64_t> allgather(int rank, uint64_t v) {
    std::unique_lock<std::mutex> lock(m_);
    const uint64_t round = round_;
    values_[rank] = v;
    if (++arrived_ == n_) {
      result_ = values_;
      arrived_ = 0;
      ++round_;
      cv_.notify_all();
    } else if (!cv_.wait_for(lock, std::chrono::seconds(10), [&] { return round_ != round; })) {
      throw std::runtime_error("rank " + std::to_string(rank) + " waited 10 s in a collective");
    }
    return result_;
  }
  int size() const { return n_; }

 private:
  const int n_;
  std::mutex m_;
  std::condition_variable cv_;
  std::vector<uint64_t> values_, result_;
  int arrived_ = 0;
  uint64_t round_ = 0;
};

class ThreadComm final : public dist::Comm {
 public:
  ThreadComm(ThreadGroup& g, int rank) : g_(g), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return g_.size(); }
  int local_rank() const override { return rank_; }
  int local_size() const override { return g_.size(); }
  int node_count() const override { return 1; }
  std::vector<uint64_t> allgather(uint64_t value) override { return g_.allgather(rank_, value); }
  void barrier() override { g_.allgather(rank_, 0); }
  // Not needed by the functions under test.
  void allreduce_sum(float*, int64_t) override { unused(); }
  void allreduce_sum(double*, int64_t) override { unused(); }
  void allreduce_max(double*, int64_t) override { unused(); }
  void start_allreduce_sum(float*, int64_t, dist::Pending&) override { unused(); }
  bool test(dist::Pending&) override { return unused(), true; }
  void wait(dist::Pending&) override { unused(); }
  void broadcast(void*, int64_t, int) override { unused(); }
  void reduce_scatter_sum(float*, std::span<const int64_t>) override { unused(); }
  void reduce_scatter_sum(uint16_t*, std::span<const int64_t>) override { unused(); }
  void allgather(float*, std::span<const int64_t>) override { unused(); }
  void allgather(uint16_t*, std::span<const int64_t>) override { unused(); }
  void gather(const float*, std::span<const int64_t>, float*, int) override { unused(); }
  void allgather(const double*, int64_t, double*) override { unused(); }

 private:
  [[noreturn]] static void unused() { throw std::logic_error("ThreadComm: collective not implemented"); }
  ThreadGroup& g_;
  const int rank_;
};

// Runs body(comm) on `ranks` threads; returns each rank's error message ("" if none).
std::vector<std::string> on_ranks(int ranks, const std::function<void(dist::Comm&)>& body) {
  ThreadGroup group(ranks);
  std::vector<std::string> errors(ranks);
  std::vector<std::thread> threads;
  for (int r = 0; r < ranks; ++r)
    threads.emplace_back([&, r] {
      ThreadComm comm(group, r);
      try {
        body(comm);
      } catch (const std::exception& e) {
        errors[r] = e.what();
      }
    });
  for (auto& t : threads) t.join();
  return errors;
}

TEST(RequireSame, AgreementPassesOnEveryRank) {
  const auto errors = on_ranks(3, [](dist::Comm& c) {
    dist::require_same(c, 42, "the model spec");
    dist::require_same_options(c, {{"lr", "0.1"}, {"seed", "3"}});
  });
  EXPECT_EQ(errors, std::vector<std::string>(3, ""));
}

TEST(RequireSame, ADifferingRankStopsEveryRankNamingIt) {
  const auto errors =
      on_ranks(3, [](dist::Comm& c) { dist::require_same(c, c.rank() == 2 ? 7 : 42, "the model spec"); });
  for (int r = 0; r < 3; ++r)
    EXPECT_EQ(errors[r],
              "ranks disagree on the model spec: rank 2 differs from rank 0; every rank must be started "
              "with the same files and options")
        << "rank " << r;
}

TEST(RequireSameOptions, ADifferingValueIsNamedWithEachRanksOwnValue) {
  const auto errors = on_ranks(3, [](dist::Comm& c) {
    dist::require_same_options(c, {{"epochs", "3"}, {"lr", c.rank() == 1 ? "0.2" : "0.1"}, {"seed", "3"}});
  });
  for (int r = 0; r < 3; ++r)
    EXPECT_EQ(errors[r], "ranks disagree on option --lr: rank 1 differs from rank 0 (rank " +
                             std::to_string(r) + " has '" + (r == 1 ? "0.2" : "0.1") +
                             "'); start every rank with the same options and files")
        << "rank " << r;
}

TEST(RequireSameOptions, DifferentSetsOfOptionsAreRefused) {
  const auto errors = on_ranks(2, [](dist::Comm& c) {
    std::map<std::string, std::string> o{{"lr", "0.1"}};
    if (c.rank() == 1) o["seed"] = "3";
    dist::require_same_options(c, o);
  });
  for (int r = 0; r < 2; ++r)
    EXPECT_NE(errors[r].find("ranks disagree on the set of options: rank 1 differs from rank 0"),
              std::string::npos)
        << "rank " << r << ": " << errors[r];
}

}  // namespace
}  // namespace tandem
