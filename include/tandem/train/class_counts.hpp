#pragma once
// Losses that need the class counts of the training split (ops::LossInfo::class_counts, the
// hierarchical softmax's Huffman tree) get them written into their spec line before the model
// is built: classes=C and, for tree=huffman, counts=N0,N1,... The spec text travels in model
// files and checkpoints, so eval, predict and --resume rebuild the same tree.
#include "tandem/data/dataset.hpp"
#include "tandem/model/spec.hpp"

namespace tandem::train {

// Fills what each such loss line lacks from `train` (C: the `classes` attribute's count, or the
// largest label + 1 if larger). Lines that already carry them are left as they are.
void fill_class_counts(model::ModelSpec& spec, const data::Dataset& train);

}  // namespace tandem::train
