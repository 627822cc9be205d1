#pragma once
// Gradient checking on a real model and real data: for every parameter tensor, the
// backpropagated gradient of the mean loss over a few samples along random unit directions
// in that tensor, against central finite differences of the loss along the same directions.
#include <cstdint>
#include <string>
#include <vector>

#include "tandem/data/dataset.hpp"
#include "tandem/model/model.hpp"

namespace tandem::train {

struct TensorCheck {
  std::string name;                            // NODE.PARAM
  int64_t checked = 0;                         // directions
  int64_t kinks = 0;                           // steps shrunk because the one-sided slopes disagreed
  double worst_relative = 0;                   // |g.v - fd| / max(|g.v|, |fd|, floor)
  double backprop = 0, finite_difference = 0;  // along the worst direction
};

struct GradcheckOptions {
  int64_t samples = 4;     // first rows of the dataset
  int64_t directions = 3;  // random unit directions per tensor
  double step = 1e-2;      // finite-difference step h along a unit direction
  double floor = 1e-4;     // smallest denominator of the relative error
  uint64_t seed = 0;       // which coordinates
};

// The model's graph is planned here; dropout is off so that every evaluation is the same
// function, batch norm uses the batch statistics of these samples.
std::vector<TensorCheck> gradient_check(model::Model& m, const data::Dataset& d, const GradcheckOptions& o);

}  // namespace tandem::train
