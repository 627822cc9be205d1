#pragma once
// Batch norm's loops over [batch, C, inner] activations with per-channel constants, in either
// layout of graph::Layout: plain (each channel of a sample a contiguous run of `inner`) or
// blocked nChw16c (each sample's channels in blocks of 16, element (i, j) of a block at
// i * 16 + j). Elementwise loops compute per element the same bits in both layouts; the sums
// differ in order (plain: kernels' lane sums; blocked: one double per channel of a block).
#include <cstdint>

namespace tandem::ops::channels {

struct Layout {
  int64_t channels = 0, inner = 1;
  int lanes = 1;  // 1: plain; 16: blocked
};

// The normalized input xhat = (x - mean[c]) * istd[c], computed where it is read (as forward
// computes it, so the same bits) instead of kept: one activation-sized buffer less.
struct Normalized {
  const float* x;
  const float* mean;  // [C]
  const float* istd;  // [C]
};

// Per-channel sums over the batch, added: sum[c] += sum of x; deviations[c] += sum of
// (x - mean[c])^2.
void add_sums(const Layout& l, int64_t batch, const float* x, double* sum);
void add_squared_deviations(const Layout& l, int64_t batch, const float* x, const double* mean,
                            double* deviations);
// su[c] += sum of u, sux[c] += sum of u * xhat; when dbeta is given, the same per sample are
// added to dbeta and dgamma in float (this rank's parameter-gradient shares).
void add_sums_and_dots(const Layout& l, int64_t batch, const float* u, const Normalized& xh, double* su,
                       double* sux, float* dbeta, float* dgamma);

// y = gamma[c] xhat + beta[c], then max(y, 0) with relu.
void normalize(const Layout& l, int64_t batch, const Normalized& xh, const float* gamma, const float* beta,
               bool relu, float* y);
// dx = k[c] (dy - m[c] - xhat m_xh[c]), or dx += that when accumulate.
void centered(const Layout& l, int64_t batch, const float* dy, const Normalized& xh, const float* k,
              const float* m, const float* m_xh, bool accumulate, float* dx);
// The tangent: dy = dgamma[c] xhat + gamma[c] (dx - m[c] - xhat m_xh[c]) istd[c] + dbeta[c]
// (dgamma and dbeta may be null: zero).
void tangent(const Layout& l, int64_t batch, const float* dx, const Normalized& xh, const float* gamma,
             const float* dgamma, const float* dbeta, const float* m, const float* m_xh, float* dy);

}  // namespace tandem::ops::channels
