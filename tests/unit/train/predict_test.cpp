// Ensembles and class reports on crafted predictions, against counts worked out by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "tandem/core/error.hpp"
#include "tandem/train/predict.hpp"

namespace tandem::train {
namespace {

TEST(Ensemble, MeanAveragesProbabilitiesAndVoteCountsModels) {
  // Three models, two rows, three classes.
  const std::vector<std::vector<float>> p = {
      {0.6f, 0.3f, 0.1f, /**/ 0.2f, 0.5f, 0.3f},
      {0.4f, 0.5f, 0.1f, /**/ 0.1f, 0.1f, 0.8f},
      {0.0f, 0.9f, 0.1f, /**/ 0.3f, 0.4f, 0.3f},
  };
  // Row 0: votes 0,1,1 -> class 1; mean (0.33, 0.57, 0.1) -> 1.
  // Row 1: votes 1,2,1 -> class 1; mean (0.2, 0.33, 0.47) -> 2.
  EXPECT_EQ(combine(p, 3, EnsembleRule::kVote), (std::vector<int32_t>{1, 1}));
  EXPECT_EQ(combine(p, 3, EnsembleRule::kMean), (std::vector<int32_t>{1, 2}));
  // A tie in votes goes to the larger mean probability: votes 0 and 2 once each.
  const std::vector<std::vector<float>> tie = {{0.5f, 0.1f, 0.4f}, {0.35f, 0.25f, 0.4f}};
  EXPECT_EQ(combine(tie, 3, EnsembleRule::kVote), (std::vector<int32_t>{0}));
  EXPECT_THROW(parse_ensemble_rule("median"), UsageError);
}

TEST(ClassReport, ConfusionPrecisionRecallAndLoss) {
  dist::LocalComm comm;
  // True: 0 0 1 1 2; predicted: 0 1 1 1 0.
  const std::vector<int32_t> labels{0, 0, 1, 1, 2}, predicted{0, 1, 1, 1, 0};
  std::vector<float> probs(15, 0.0f);
  for (int i = 0; i < 5; ++i) probs[i * 3 + labels[i]] = 0.5f;  // p(true class) = 0.5 everywhere
  const auto r = class_report(predicted, labels, probs, 3, true, comm);
  EXPECT_EQ(r.samples, 5);
  EXPECT_EQ(r.confusion, (std::vector<int64_t>{1, 1, 0, /**/ 0, 2, 0, /**/ 1, 0, 0}));
  EXPECT_DOUBLE_EQ(r.accuracy, 0.6);
  EXPECT_DOUBLE_EQ(r.precision[0], 0.5);  // predicted 0 twice, right once
  EXPECT_DOUBLE_EQ(r.precision[1], 2.0 / 3.0);
  EXPECT_TRUE(std::isnan(r.precision[2]));  // never predicted
  EXPECT_DOUBLE_EQ(r.recall[0], 0.5);
  EXPECT_DOUBLE_EQ(r.recall[1], 1.0);
  EXPECT_DOUBLE_EQ(r.recall[2], 0.0);
  EXPECT_NEAR(r.loss, std::log(2.0), 1e-12);
  EXPECT_TRUE(std::isnan(class_report(predicted, labels, probs, 3, false, comm).loss));
}

}  // namespace
}  // namespace tandem::train
