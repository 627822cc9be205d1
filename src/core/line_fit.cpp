#include "tandem/core/line_fit.hpp"

#include <cmath>

namespace tandem {

std::optional<Line> fit_line_relative(std::span<const double> x, std::span<const double> y) {
  if (x.size() != y.size() || x.size() < 2) return std::nullopt;
  double sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    if (!(y[i] > 0)) return std::nullopt;
    const double w = 1 / (y[i] * y[i]);
    sw += w, sx += w * x[i], sy += w * y[i], sxx += w * x[i] * x[i], sxy += w * x[i] * y[i];
  }
  const double det = sw * sxx - sx * sx;
  if (!(det > 1e-12 * sw * sxx)) return std::nullopt;  // all x (nearly) equal
  Line line;
  line.slope = (sw * sxy - sx * sy) / det;
  line.intercept = (sy - line.slope * sx) / sw;
  return line;
}

}  // namespace tandem
