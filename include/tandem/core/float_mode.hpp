#pragma once

namespace tandem::core {

// Sets flush-to-zero and denormals-are-zero for SSE/AVX arithmetic on the calling thread;
// threads it creates afterwards inherit the mode (POSIX). Subnormal floats take a slow
// microcode path on x86 (tens of times slower per operation): optimizer moments of weights
// that see no gradient for hundreds of steps decay into that range and slowed whole epochs
// 2.3-fold (README "Hierarchical softmax"). Values below 1.2e-38 become 0, which no training
// result depends on. A no-op off x86. Returns whether the mode was set.
bool flush_subnormals_to_zero();

// Whether the calling thread flushes subnormals (both flags set).
bool flushing_subnormals();

}  // namespace tandem::core
