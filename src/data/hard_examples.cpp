#include "tandem/data/hard_examples.hpp"

#include <algorithm>

#include "tandem/core/error.hpp"

namespace tandem::data {

std::vector<double> emphasis_weights(std::span<const int32_t> labels, std::span<const double> recent_loss,
                                     double mix, double cap) {
  TANDEM_CHECK(labels.size() == recent_loss.size(), "emphasis_weights: ", labels.size(), " labels but ",
               recent_loss.size(), " losses");
  const int32_t classes = labels.empty() ? 0 : *std::max_element(labels.begin(), labels.end()) + 1;
  std::vector<double> seen_sum(classes, 0), count(classes, 0), seen(classes, 0);
  for (size_t i = 0; i < labels.size(); ++i) {
    count[labels[i]] += 1;
    if (recent_loss[i] >= 0) seen_sum[labels[i]] += recent_loss[i], seen[labels[i]] += 1;
  }
  std::vector<double> mean(classes, 0);
  for (int32_t c = 0; c < classes; ++c) mean[c] = seen[c] > 0 ? seen_sum[c] / seen[c] : 0;
  // Capped losses; an unseen sample counts as average.
  std::vector<double> capped(labels.size()), total(classes, 0);
  for (size_t i = 0; i < labels.size(); ++i) {
    const int32_t c = labels[i];
    const double l = recent_loss[i] >= 0 ? recent_loss[i] : mean[c];
    capped[i] = std::min(l, cap * mean[c]);
    total[c] += capped[i];
  }
  std::vector<double> p(labels.size());
  for (size_t i = 0; i < labels.size(); ++i) {
    const int32_t c = labels[i];
    const double uniform = 1.0 / count[c];
    p[i] = total[c] > 0 ? (1 - mix) * uniform + mix * capped[i] / total[c] : uniform;
  }
  return p;
}

}  // namespace tandem::data
