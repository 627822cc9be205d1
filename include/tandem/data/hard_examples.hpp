#pragma once
// Hard-example emphasis: sampling weights from each sample's most recent training loss.
// Within every class,
//   P(i) = (1 - mix) / n_c + mix * min(L_i, cap * mean_c(L)) / sum_{j in c} min(L_j, cap * mean_c(L)),
// a mixture of uniform sampling and loss-proportional sampling in which no sample counts for
// more than `cap` times the class's mean loss (outliers and mislabeled samples cannot take
// over). Classes keep their counts per batch, so the class-balanced sampler is unchanged.
#include <cstdint>
#include <span>
#include <vector>

namespace tandem::data {

// labels, recent losses [N] (negative: never seen, counted at the class mean), mix in [0, 1],
// cap >= 1. Returns P(i) within its class (each class sums to 1).
std::vector<double> emphasis_weights(std::span<const int32_t> labels, std::span<const double> recent_loss,
                                     double mix, double cap);

}  // namespace tandem::data
