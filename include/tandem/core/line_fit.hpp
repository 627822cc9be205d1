#pragma once
// Straight-line fits of measured figures (timings, steps to a target).
#include <optional>
#include <span>

namespace tandem {

struct Line {
  double intercept = 0;
  double slope = 0;
};

// Least squares of y ≈ intercept + slope·x weighted by 1/y² (relative error), so points whose
// y differ by orders of magnitude weigh alike. nullopt without two distinct x or with a
// y ≤ 0.
std::optional<Line> fit_line_relative(std::span<const double> x, std::span<const double> y);

}  // namespace tandem
