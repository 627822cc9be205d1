// fit_line_relative: exact on points of a line, weighted by relative error, degenerate input.
#include "tandem/core/line_fit.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace tandem {
namespace {

TEST(LineFit, ExactOnPointsOfALine) {
  const std::vector<double> x{1, 10, 1000, 1e6}, y{3 + 2 * 1.0, 3 + 2 * 10.0, 3 + 2 * 1000.0, 3 + 2 * 1e6};
  const auto line = fit_line_relative(x, y);
  ASSERT_TRUE(line.has_value());
  EXPECT_NEAR(line->intercept, 3, 1e-9);
  EXPECT_NEAR(line->slope, 2, 1e-12);
}

TEST(LineFit, RelativeErrorKeepsTheSmallPointsInCharge) {
  // The same 10% error on the smallest and on the largest y: an unweighted fit would pin the
  // intercept to the large points and miss the small ones by far more than 10%.
  const std::vector<double> x{0, 1, 1000, 2000}, y{1.1, 2.0, 1001, 2001 * 0.9};
  const auto line = fit_line_relative(x, y);
  ASSERT_TRUE(line.has_value());
  for (size_t i = 0; i < x.size(); ++i)
    EXPECT_LT(std::abs(line->intercept + line->slope * x[i] - y[i]) / y[i], 0.11) << "point " << i;
}

TEST(LineFit, NothingToFitWithoutTwoDistinctXOrWithANonPositiveY) {
  EXPECT_FALSE(fit_line_relative(std::vector<double>{5}, std::vector<double>{1}).has_value());
  EXPECT_FALSE(fit_line_relative(std::vector<double>{5, 5}, std::vector<double>{1, 2}).has_value());
  EXPECT_FALSE(fit_line_relative(std::vector<double>{1, 2}, std::vector<double>{1, 0}).has_value());
}

}  // namespace
}  // namespace tandem
