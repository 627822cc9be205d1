// CallGuard ends the process with a message when the call it guards has not returned in time or
// has grown the process's memory past its limit, prints it when the call crashes, and does
// nothing (and does not wait) otherwise.
#include "tandem/core/call_guard.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <vector>

#include "../../support/default_signal_action.hpp"

namespace tandem {
namespace {

std::string say(const std::string& why) {
  return "the call " + why;
}

TEST(CallGuard, ACallThatDoesNotReturnEndsTheProcessWithTheMessage) {
  EXPECT_EXIT(
      {
        const CallGuard guard({0.2, int64_t{1} << 40}, say);
        ::sleep(30);
      },
      ::testing::ExitedWithCode(1), "tandem: error: the call has not returned after 0.2 s");
}

TEST(CallGuard, ACallThatKeepsAllocatingEndsTheProcessWithTheMessage) {
  EXPECT_EXIT(
      {
        const CallGuard guard({60, int64_t{64} << 20}, say);
        std::vector<std::vector<char>> blocks;
        for (int i = 0; i < 2000; ++i) {  // 2 GiB at most, touched, 1 MiB at a time
          blocks.emplace_back(1 << 20);
          std::memset(blocks.back().data(), 1, blocks.back().size());
          ::usleep(1000);
        }
        std::_Exit(0);  // the guard did not fire
      },
      ::testing::ExitedWithCode(1), "tandem: error: the call took more than 64 MiB of memory");
}

TEST(CallGuard, ACallThatCrashesPrintsTheMessageFirst) {
  // A real memory fault, not raise(): a store to a page mapped without access, which neither the
  // compiler nor UBSan's null-pointer check can see coming.
  void* page = ::mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(page, MAP_FAILED);
  EXPECT_EXIT(
      {
        testing::use_default_action(SIGSEGV);
        const CallGuard guard({60, int64_t{1} << 30}, say);
        *static_cast<volatile int*>(page) = 1;
      },
      ::testing::KilledBySignal(SIGSEGV), "tandem: error: the call crashed \\(a memory fault\\)");
  ::munmap(page, 4096);
}

TEST(CallGuard, ACallThatReturnsInTimeGoesOnAtOnce) {
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 100; ++i) {
    const CallGuard guard({30, int64_t{1} << 30}, say);
    const CallGuard nested({30, int64_t{1} << 30}, say);
  }
  // Disarming does not wait for the watcher: 200 guards take far less than its 50 ms poll.
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 5.0);
  EXPECT_GT(resident_bytes(), 0);
}

}  // namespace
}  // namespace tandem
