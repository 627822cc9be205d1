#pragma once
// Exact evaluation under any number of ranks: each rank takes a contiguous share of the
// split, every sample is counted once, sums and counts are reduced; no padding.
#include <cstdint>

#include "tandem/data/dataset.hpp"
#include "tandem/dist/comm.hpp"
#include "tandem/model/model.hpp"

namespace tandem::train {

struct Evaluation {
  double loss = 0;      // mean loss
  double accuracy = 0;  // fraction correct
  int64_t samples = 0;
};

// One pass in evaluation mode over rows [0, rows) of d, each rank taking a contiguous share,
// in chunks of at most `chunk` rows (the graph must be planned for that many). Returns the
// summed loss, correct predictions and samples of all ranks. With `gradients`, also
// backpropagates the MEAN loss over the rows into the (zeroed) gradient arena and sums it
// over ranks; gradients and sums are then broadcast from rank 0, so every rank holds
// identical values (L-BFGS's line search and the Hessian's Lanczos branch on them).
// labels and predicted are scratch of at least `chunk` entries.
struct PassSums {
  double loss = 0, correct = 0, samples = 0;
};
PassSums full_pass(model::Model& m, ops::Loss& loss, const data::Dataset& d, int64_t rows, int64_t chunk,
                   dist::Comm& comm, bool gradients, int32_t* labels, int32_t* predicted);

// Runs the model in evaluation mode over the whole dataset in chunks of at most `chunk` rows
// (the graph must be planned for at least that many).
Evaluation evaluate(model::Model& m, const data::Dataset& d, dist::Comm& comm, int64_t chunk);

// Rows [begin, begin + rows) of d into the model's input, preprocessed as the model was
// trained (labels into `labels`). The graph must be planned for `rows`.
void load_rows(model::Model& m, const data::Dataset& d, int64_t begin, int64_t rows, int32_t* labels);

// Checks that the dataset fits the model: sample shape and label range; UsageError otherwise.
void check_compatible(const model::Model& m, const data::Dataset& d, const std::string& what);

}  // namespace tandem::train
