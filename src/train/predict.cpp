#include "tandem/train/predict.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "tandem/core/error.hpp"
#include "tandem/train/data_feed.hpp"

namespace tandem::train {

Share rank_share(int64_t n, const dist::Comm& comm) {
  return {n * comm.rank() / comm.size(), n * (comm.rank() + 1) / comm.size()};
}

ops::Probabilities output_kind(const model::Model& m, size_t head) {
  return m.heads.at(head).loss->probabilities();
}

std::vector<std::vector<float>> predict_heads(model::Model& m, const data::Dataset& d, Share share,
                                              int64_t chunk, std::vector<float>* sample_loss) {
  auto& g = m.graph;
  TANDEM_ASSERT(chunk > 0 && chunk <= g.max_batch(), "prediction chunk ", chunk,
                " exceeds the planned batch");
  std::vector<std::vector<float>> outs;
  for (const auto& h : m.heads) outs.emplace_back((share.end - share.begin) * g.node(h.node).shape.numel());
  DataFeed feed(m, d, "'" + d.path() + "'");
  graph::RunInfo run;
  run.training = false;
  if (sample_loss) sample_loss->assign(static_cast<size_t>(share.end - share.begin), 0.0f);
  for (int64_t pos = share.begin; pos < share.end; pos += chunk) {
    const int64_t b = std::min(chunk, share.end - pos);
    feed.load_rows(pos, b);
    g.forward(b, run);
    if (sample_loss) feed.loss(b, 0.0f, false, sample_loss->data() + (pos - share.begin));
    for (size_t h = 0; h < m.heads.size(); ++h) {
      const int64_t k = g.node(m.heads[h].node).shape.numel();
      to_probabilities(g.value(m.heads[h].node, b).data(), b, k, output_kind(m, h),
                       outs[h].data() + (pos - share.begin) * k);
    }
  }
  return outs;
}

std::vector<float> predict_share(model::Model& m, const data::Dataset& d, Share share, int64_t chunk) {
  return std::move(predict_heads(m, d, share, chunk)[0]);
}

void to_probabilities(const float* out, int64_t rows, int64_t k, ops::Probabilities kind, float* dst) {
  for (int64_t i = 0; i < rows; ++i) {
    const float* z = out + i * k;
    float* p = dst + i * k;
    if (kind == ops::Probabilities::kNone) {
      std::copy(z, z + k, p);
    } else if (kind == ops::Probabilities::kSigmoid) {
      for (int64_t c = 0; c < k; ++c)
        p[c] = static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(z[c]))));
    } else {
      const float top = *std::max_element(z, z + k);
      double sum = 0;
      for (int64_t c = 0; c < k; ++c) sum += p[c] = std::exp(z[c] - top);
      for (int64_t c = 0; c < k; ++c) p[c] = static_cast<float>(p[c] / sum);
    }
  }
}

EnsembleRule parse_ensemble_rule(const std::string& name) {
  return parse_enum<EnsembleRule>(name, "--ensemble");
}

std::vector<float> mean_probabilities(const std::vector<std::vector<float>>& probs) {
  std::vector<float> mean(probs.at(0).size(), 0.0f);
  for (const auto& p : probs)
    for (size_t i = 0; i < p.size(); ++i) mean[i] += p[i];
  for (auto& v : mean) v /= static_cast<float>(probs.size());
  return mean;
}

std::vector<int32_t> combine(const std::vector<std::vector<float>>& probs, int64_t classes,
                             EnsembleRule rule) {
  const auto mean = mean_probabilities(probs);
  const int64_t rows = static_cast<int64_t>(mean.size()) / classes;
  std::vector<int32_t> out(rows);
  std::vector<int64_t> votes(classes);
  for (int64_t r = 0; r < rows; ++r) {
    const float* m = mean.data() + r * classes;
    std::fill(votes.begin(), votes.end(), 0);
    if (rule == EnsembleRule::kVote)
      for (const auto& p : probs) {
        const float* q = p.data() + r * classes;
        ++votes[std::max_element(q, q + classes) - q];
      }
    int64_t best = 0;
    for (int64_t c = 1; c < classes; ++c)
      if (votes[c] > votes[best] || (votes[c] == votes[best] && m[c] > m[best])) best = c;
    out[r] = static_cast<int32_t>(best);
  }
  return out;
}

ClassReport class_report(const std::vector<int32_t>& predicted, const std::vector<int32_t>& labels,
                         const std::vector<float>& mean_probs, int64_t classes, bool with_loss,
                         dist::Comm& comm) {
  // Counts travel as doubles (exact below 2^53) with the loss sum in the last slot.
  std::vector<double> sums(static_cast<size_t>(classes * classes + 2), 0.0);
  for (size_t i = 0; i < predicted.size(); ++i) {
    sums[static_cast<size_t>(labels[i] * classes + predicted[i])] += 1;
    if (with_loss) {
      const double p = mean_probs[i * classes + static_cast<size_t>(labels[i])];
      sums[classes * classes] -= std::log(std::max(p, 1e-30));
    }
  }
  sums[classes * classes + 1] = static_cast<double>(predicted.size());
  comm.allreduce_sum(sums.data(), static_cast<int64_t>(sums.size()));
  ClassReport r;
  r.classes = classes;
  r.samples = static_cast<int64_t>(sums.back());
  r.confusion.resize(classes * classes);
  for (int64_t i = 0; i < classes * classes; ++i) r.confusion[i] = static_cast<int64_t>(sums[i]);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  r.loss = with_loss && r.samples ? sums[classes * classes] / static_cast<double>(r.samples) : nan;
  int64_t right = 0;
  r.precision.assign(classes, nan);
  r.recall.assign(classes, nan);
  for (int64_t c = 0; c < classes; ++c) {
    int64_t predicted_c = 0, true_c = 0;
    for (int64_t o = 0; o < classes; ++o) {
      predicted_c += r.confusion[o * classes + c];
      true_c += r.confusion[c * classes + o];
    }
    const int64_t hit = r.confusion[c * classes + c];
    right += hit;
    if (predicted_c > 0) r.precision[c] = static_cast<double>(hit) / static_cast<double>(predicted_c);
    if (true_c > 0) r.recall[c] = static_cast<double>(hit) / static_cast<double>(true_c);
  }
  r.accuracy = r.samples ? static_cast<double>(right) / static_cast<double>(r.samples) : 0.0;
  return r;
}

}  // namespace tandem::train
