#pragma once
// Class scores of saved models on a dataset, and what is computed from them: ensembles
// (probability mean or majority vote), confusion matrices, per-class precision and recall.
// Exact under any number of ranks: each rank scores a contiguous share, counts are summed.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tandem/core/enum_names.hpp"
#include "tandem/data/dataset.hpp"
#include "tandem/dist/comm.hpp"
#include "tandem/model/model.hpp"

namespace tandem::train {

// This rank's contiguous share [begin, end) of a dataset of n samples.
struct Share {
  int64_t begin = 0, end = 0;
};
Share rank_share(int64_t n, const dist::Comm& comm);

// What a head's outputs mean, from its loss: class probabilities (softmax), per-label
// probabilities (sigmoid), or the outputs as they are.
ops::Probabilities output_kind(const model::Model& m, size_t head);
// rows x k outputs into dst as probabilities of that kind.
void to_probabilities(const float* out, int64_t rows, int64_t k, ops::Probabilities kind, float* dst);

// Every head's probabilities [share rows x K_h] (see output_kind). The graph must be planned for
// `chunk` rows. sample_loss (optional) receives each row's training loss [share rows] (the
// weighted sum over the heads, evaluation mode): `predict --per-sample-loss`, curriculum difficulty.
std::vector<std::vector<float>> predict_heads(model::Model& m, const data::Dataset& d, Share share,
                                              int64_t chunk, std::vector<float>* sample_loss = nullptr);
// The first head's.
std::vector<float> predict_share(model::Model& m, const data::Dataset& d, Share share, int64_t chunk);

enum class EnsembleRule { kMean, kVote };
inline constexpr EnumName<EnsembleRule> kEnsembleRuleNames[] = {
    {EnsembleRule::kMean, "mean", "average the class probabilities"},
    {EnsembleRule::kVote, "vote", "the class most models predict"},
};
constexpr std::span<const EnumName<EnsembleRule>> enum_names(EnsembleRule) {
  return kEnsembleRuleNames;
}
EnsembleRule parse_ensemble_rule(const std::string& name);  // UsageError naming --ensemble

// Predicted class of every row from one or more models' probabilities (same shape each).
// mean: argmax of the averaged probabilities; vote: the class most models predict, ties
// broken by the larger averaged probability, then the lower class.
std::vector<int32_t> combine(const std::vector<std::vector<float>>& probs, int64_t classes,
                             EnsembleRule rule);

struct ClassReport {
  int64_t classes = 0, samples = 0;
  std::vector<int64_t> confusion;  // [true class x predicted class], summed over ranks
  double accuracy = 0;
  double loss = 0;  // mean -log p(true class) of the (averaged) probabilities; NaN for vote
  std::vector<double> precision, recall;  // per class; NaN where undefined (no predictions/samples)
};

// Sums this rank's share into a report over all ranks (collective).
ClassReport class_report(const std::vector<int32_t>& predicted, const std::vector<int32_t>& labels,
                         const std::vector<float>& mean_probs, int64_t classes, bool with_loss,
                         dist::Comm& comm);

// The mean of several probability arrays.
std::vector<float> mean_probabilities(const std::vector<std::vector<float>>& probs);

}  // namespace tandem::train
