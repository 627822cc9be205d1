#pragma once
// Exact evaluation under any number of ranks: each rank takes a contiguous share of the
// split, every sample is counted once, sums and counts are reduced; no padding.
#include <cstdint>
#include <vector>

#include "tandem/data/dataset.hpp"
#include "tandem/dist/comm.hpp"
#include "tandem/model/model.hpp"
#include "tandem/train/data_feed.hpp"

namespace tandem::train {

struct Evaluation {
  double loss = 0;      // mean loss (weighted sum over the heads)
  double accuracy = 0;  // fraction correct
  int64_t samples = 0;
  std::vector<double> head_loss;  // each head's own mean loss, in model.heads order
};

// One pass in evaluation mode over rows [0, rows) of the feed's dataset, each rank taking a
// contiguous share, in chunks of at most `chunk` rows (the graph must be planned for that
// many). Returns the summed loss, correct predictions and samples of all ranks. With
// `gradients`, also backpropagates the MEAN loss over the rows into the (zeroed) gradient arena
// and sums it over ranks; gradients and sums are then broadcast from rank 0, so every rank
// holds identical values (L-BFGS's line search and the Hessian's Lanczos branch on them).
// `first` replaces the first head's loss (class weights).
struct PassSums {
  double loss = 0, correct = 0, samples = 0;
  std::vector<double> head_loss;  // summed, per head
};
PassSums full_pass(model::Model& m, DataFeed& feed, int64_t rows, int64_t chunk, dist::Comm& comm,
                   bool gradients, ops::Loss* first = nullptr);

// Runs the model in evaluation mode over the whole dataset in chunks of at most `chunk` rows
// (the graph must be planned for at least that many).
Evaluation evaluate(model::Model& m, const data::Dataset& d, dist::Comm& comm, int64_t chunk);

}  // namespace tandem::train
