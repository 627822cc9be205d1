#include "finite.hpp"

#include <cmath>

#include "tandem/core/error.hpp"

namespace tandem::data {

void throw_not_finite(const std::string& file, const std::string& object, int64_t row, int64_t column,
                      float value) {
  const char* what = std::isnan(value) ? "nan" : value > 0 ? "inf" : "-inf";
  throw Error(detail::concat(
      "'", object, "' in '", file, "' holds ", what, " at row ", row, ", column ", column,
      " (the first value that is not finite): training on it would make the loss nan; "
      "clean the data (drop or repair such rows) and convert it again, or pass --no-check-finite to "
      "'tandem train' to read it as it is"));
}

}  // namespace tandem::data
