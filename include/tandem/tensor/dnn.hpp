#pragma once
// oneDNN, the second compute library (convolutions and pooling, fp32 or bf16). Only src/tensor
// includes dnnl.hpp; the rest of tandem sees these functions, ConvKernel and PoolKernel.
#include <cstdint>

namespace tandem::dnn {

// Threads oneDNN may use on this rank (its OpenMP runtime); --threads sets it with OpenBLAS's.
void set_threads(int threads);

// True while this thread is inside a oneDNN primitive call. oneDNN 2.6 builds a small hash map
// of the call's arguments on every execute (freed before it returns); the steady-state
// allocation test tells those apart from tandem's own allocations with this.
bool in_library_call();

}  // namespace tandem::dnn
