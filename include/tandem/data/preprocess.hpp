#pragma once
// Fitting input preprocessing on the training split. Every rank reads a contiguous share of
// the rows; sums, sums of squared deviations and the covariance are reduced across ranks in
// double precision, and rank 0's result (its eigendecomposition, for whitening) is broadcast,
// so every rank applies the same transform whatever the number of ranks.
#include <string>

#include "tandem/data/dataset.hpp"
#include "tandem/dist/comm.hpp"
#include "tandem/model/preprocessing.hpp"

namespace tandem::data {

// Statistics of input field `input` of the training split; eps: added to the covariance
// eigenvalues (whitening). Collective.
model::Preprocessing fit_preprocessing(const Dataset& train, model::PreprocessMode mode, double eps,
                                       dist::Comm& comm, int input = 0);

}  // namespace tandem::data
