// core::flush_subnormals_to_zero: results below FLT_MIN become 0 (FTZ), subnormal inputs read
// as 0 (DAZ), and threads started afterwards inherit the mode. Run on threads of their own so
// that the rest of the test process keeps the default mode.
#include <gtest/gtest.h>

#include <cfloat>
#include <thread>

#include "tandem/core/float_mode.hpp"

namespace tandem {
namespace {

// volatile: computed at run time under the thread's mode, never folded by the compiler.
float quarter_of_smallest_normal() {
  volatile float x = FLT_MIN;
  return x / 4;
}
float times_one(float v) {
  volatile float one = 1.0f, x = v;
  return x * one;
}

#if defined(__x86_64__)
TEST(FloatMode, SubnormalsFlushOnTheThreadThatAsksAndItsChildren) {
  std::thread([] {
    const float subnormal = quarter_of_smallest_normal();
    EXPECT_FALSE(core::flushing_subnormals()) << "the default mode keeps subnormals";
    EXPECT_EQ(subnormal, FLT_MIN / 4);
    EXPECT_GT(subnormal, 0.0f);
    ASSERT_TRUE(core::flush_subnormals_to_zero());
    EXPECT_TRUE(core::flushing_subnormals());
    EXPECT_EQ(quarter_of_smallest_normal(), 0.0f) << "flush to zero";
    EXPECT_EQ(times_one(subnormal), 0.0f) << "denormals are zero";
    EXPECT_EQ(times_one(FLT_MIN), FLT_MIN) << "normal floats are untouched";
    std::thread([] {
      EXPECT_TRUE(core::flushing_subnormals()) << "a thread started afterwards inherits the mode";
      EXPECT_EQ(quarter_of_smallest_normal(), 0.0f);
    }).join();
  }).join();
  EXPECT_FALSE(core::flushing_subnormals()) << "the test's own thread is untouched";
}
#endif

}  // namespace
}  // namespace tandem
