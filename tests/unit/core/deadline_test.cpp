// Deadline ends the process with a message when the call it guards has not returned in time,
// and does nothing (and does not wait) when it has.
#include "tandem/core/deadline.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>

namespace tandem {
namespace {

TEST(Deadline, ACallThatDoesNotReturnEndsTheProcessWithTheMessage) {
  EXPECT_EXIT(
      {
        const Deadline deadline(0.2, "the call is stuck");
        ::sleep(30);
      },
      ::testing::ExitedWithCode(1), "tandem: error: the call is stuck");
}

TEST(Deadline, ACallThatReturnsInTimeGoesOnAtOnce) {
  const auto start = std::chrono::steady_clock::now();
  { const Deadline deadline(30, "never printed"); }
  // Disarming wakes the watcher: it does not sleep out the 30 s.
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 10.0);
}

TEST(Deadline, MetadataDeadlineComesFromTheEnvironment) {
  ::unsetenv("TANDEM_METADATA_DEADLINE");
  EXPECT_EQ(metadata_deadline_seconds(), 60.0);
  ::setenv("TANDEM_METADATA_DEADLINE", "2.5", 1);
  EXPECT_EQ(metadata_deadline_seconds(), 2.5);
  ::setenv("TANDEM_METADATA_DEADLINE", "nonsense", 1);
  EXPECT_EQ(metadata_deadline_seconds(), 60.0);
  ::unsetenv("TANDEM_METADATA_DEADLINE");
}

}  // namespace
}  // namespace tandem
