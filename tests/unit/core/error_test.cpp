// TANDEM_CHECK and TANDEM_USAGE_CHECK: the exception types behind exit codes 1 and 2, and
// messages concatenated from their arguments only when the check fails.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "tandem/core/error.hpp"

namespace tandem {
namespace {

TEST(Check, FailingCheckThrowsErrorWithTheConcatenatedMessage) {
  const int rank = 3;
  const double lr = 0.25;
  try {
    TANDEM_CHECK(rank < 2, "rank ", rank, " of ", 2, " (lr ", lr, ", file '", std::string("d.h5"),
                 "'); fix it");
    FAIL() << "no exception";
  } catch (const UsageError&) {
    FAIL() << "TANDEM_CHECK threw a UsageError";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "rank 3 of 2 (lr 0.25, file 'd.h5'); fix it");
  }
}

TEST(Check, FailingUsageCheckThrowsUsageErrorAnErrorAndARuntimeError) {
  try {
    TANDEM_USAGE_CHECK(false, "--batch-size must be positive, got ", 0);
    FAIL() << "no exception";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), "--batch-size must be positive, got 0");
  }
  EXPECT_THROW(TANDEM_USAGE_CHECK(false, "x"), Error);
  EXPECT_THROW(TANDEM_USAGE_CHECK(false, "x"), std::runtime_error);
  EXPECT_THROW(TANDEM_CHECK(false, "x"), std::runtime_error);
}

TEST(Check, PassingCheckNeitherThrowsNorBuildsTheMessage) {
  int evaluated = 0;
  auto costly = [&] {
    ++evaluated;
    return std::string("message");
  };
  EXPECT_NO_THROW(TANDEM_CHECK(1 + 1 == 2, costly()));
  EXPECT_NO_THROW(TANDEM_USAGE_CHECK(true, costly()));
  EXPECT_EQ(evaluated, 0);
  EXPECT_THROW(TANDEM_CHECK(false, costly()), Error);
  EXPECT_EQ(evaluated, 1);
}

TEST(Check, ConditionIsEvaluatedOnceAndTheMacroIsOneStatement) {
  int calls = 0;
  auto cond = [&] { return ++calls > 0; };
  TANDEM_CHECK(cond(), "never");
  EXPECT_EQ(calls, 1);
  // Usable as the single statement of an if/else without braces.
  bool flag = false;
  if (flag)
    TANDEM_CHECK(false, "not reached");
  else
    flag = true;
  EXPECT_TRUE(flag);
}

TEST(Check, FailingAssertCarriesItsSourceLocation) {
  const int line = __LINE__ + 2;
  try {
    TANDEM_ASSERT(1 + 1 == 3, "sum of ", 1, " and ", 1);
    FAIL() << "no exception";
  } catch (const InternalError& e) {
    EXPECT_EQ(std::string(e.what()),
              "internal error: sum of 1 and 1 [tests/unit/core/error_test.cpp:" + std::to_string(line) +
                  "]; this is a bug in tandem, please report it with this message");
  }
  EXPECT_THROW(TANDEM_ASSERT(false, "x"), Error) << "exit code 1, as any runtime error";
  EXPECT_STREQ(detail::source_path("/home/u/tandem/src/io/h5.cpp"), "src/io/h5.cpp");
  EXPECT_STREQ(detail::source_path("/usr/include/tandem/core/registry.hpp"),
               "include/tandem/core/registry.hpp");
  EXPECT_STREQ(detail::source_path("/x/src/a/include/b.hpp"), "include/b.hpp");
  EXPECT_STREQ(detail::source_path("graph.cpp"), "graph.cpp");
}

}  // namespace
}  // namespace tandem
