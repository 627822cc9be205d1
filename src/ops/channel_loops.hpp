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

// Per-channel sums over the batch, added: sum[c] += sum of x; deviations[c] += sum of
// (x - mean[c])^2.
void add_sums(const Layout& l, int64_t batch, const float* x, double* sum);
void add_squared_deviations(const Layout& l, int64_t batch, const float* x, const double* mean,
                            double* deviations);
// su[c] += sum of u, sux[c] += sum of u * xh; when dbeta is given, the same per sample are
// added to dbeta and dgamma in float (this rank's parameter-gradient shares).
void add_sums_and_dots(const Layout& l, int64_t batch, const float* u, const float* xh, double* su,
                       double* sux, float* dbeta, float* dgamma);

// xh = (x - mean[c]) * istd[c], y = gamma[c] xh + beta[c], then max(y, 0) with relu.
void normalize(const Layout& l, int64_t batch, const float* x, const float* mean, const float* istd,
               const float* gamma, const float* beta, bool relu, float* xh, float* y);
// dx = k[c] (dy - m[c] - xh m_xh[c]), or dx += that when accumulate.
void centered(const Layout& l, int64_t batch, const float* dy, const float* xh, const float* k,
              const float* m, const float* m_xh, bool accumulate, float* dx);
// The tangent: dy = dgamma[c] xh + gamma[c] (dx - m[c] - xh m_xh[c]) istd[c] + dbeta[c].
void tangent(const Layout& l, int64_t batch, const float* dx, const float* xh, const float* istd,
             const float* gamma, const float* dgamma, const float* dbeta, const float* m, const float* m_xh,
             float* dy);

}  // namespace tandem::ops::channels
