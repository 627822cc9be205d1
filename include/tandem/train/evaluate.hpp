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

// Runs the model in evaluation mode over the whole dataset in chunks of at most `chunk` rows
// (the graph must be planned for at least that many).
Evaluation evaluate(model::Model& m, const data::Dataset& d, dist::Comm& comm, int64_t chunk);

// Rows [begin, begin + rows) of d into the model's input, preprocessed as the model was
// trained (labels into `labels`). The graph must be planned for `rows`.
void load_rows(model::Model& m, const data::Dataset& d, int64_t begin, int64_t rows, int32_t* labels);

// Checks that the dataset fits the model: sample shape and label range; UsageError otherwise.
void check_compatible(const model::Model& m, const data::Dataset& d, const std::string& what);

}  // namespace tandem::train
