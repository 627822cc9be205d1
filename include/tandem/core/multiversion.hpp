#pragma once
// TANDEM_MULTIVERSION before a function definition compiles it for several instruction sets
// (AVX-512, AVX2, baseline x86-64) and picks the best one for the CPU when the program loads.
// It marks the memory-bound loops around the BLAS and oneDNN calls (activations, batch norm,
// optimizer updates, kernels): a portable build (TANDEM_NATIVE off, which must not die of
// SIGILL on an older node) then runs them as fast as a -march=native build. The clones
// compute the same bits, because the build turns off floating-point contraction
// (-ffp-contract=off): vectorized elementwise loops do per element what scalar ones do.
// Sanitizer builds compile one version: the clones' resolvers run while the dynamic loader
// relocates, before a sanitizer's runtime is set up (a ThreadSanitizer build crashed there).
// GCC says so with __SANITIZE_ADDRESS__ / __SANITIZE_THREAD__ (nothing for UndefinedBehaviorSanitizer:
// the build's TANDEM_SANITIZE, cmake/TandemSanitize.cmake, defines TANDEM_SANITIZE_BUILD), clang 14
// only through __has_feature.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || defined(TANDEM_SANITIZE_BUILD)
#define TANDEM_SANITIZER_BUILD
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define TANDEM_SANITIZER_BUILD
#endif
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(TANDEM_NATIVE_BUILD) && \
    !defined(TANDEM_SANITIZER_BUILD)
#define TANDEM_MULTIVERSION __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define TANDEM_MULTIVERSION
#endif
