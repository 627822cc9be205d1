#include "channel_loops.hpp"

#include <algorithm>

#include "tandem/core/multiversion.hpp"
#include "tandem/tensor/kernels.hpp"

namespace tandem::ops::channels {

// Each loop is a template on the lanes (1 or 16), inlined into a multiversioned function that
// picks one: with 16 lanes the innermost loop runs over the 16 channels of a block (one
// AVX-512 register of floats), with 1 over the positions of a channel.
#define TANDEM_INLINE inline __attribute__((always_inline))

namespace {

// Per-channel values of one block, lane j = channel c0 + j (zero where `from` is null).
template <int L>
struct Lanes {
  float v[L];
  TANDEM_INLINE Lanes(const float* from, int64_t c0) {
    for (int j = 0; j < L; ++j) v[j] = from ? from[c0 + j] : 0.0f;
  }
};

template <int L>
TANDEM_INLINE void normalize_lanes(const Layout& l, int64_t batch, const Normalized& xn, const float* gamma,
                                   const float* beta, bool relu, float* y) {
  const int64_t blocks = l.channels / L, size = l.inner * L;
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t b = 0; b < blocks; ++b) {
      const int64_t base = (n * blocks + b) * size, c0 = b * L;
      const Lanes<L> m(xn.mean, c0), s(xn.istd, c0), g(gamma, c0), be(beta, c0);
      const float* xp = xn.x + base;
      float* yp = y + base;
      for (int64_t i = 0; i < l.inner; ++i)
        for (int j = 0; j < L; ++j) {
          const int64_t e = i * L + j;
          const float h = (xp[e] - m.v[j]) * s.v[j];
          yp[e] = g.v[j] * h + be.v[j];
        }
      if (relu)  // while the block is in cache
        for (int64_t e = 0; e < size; ++e) yp[e] = std::max(yp[e], 0.0f);
    }
}

template <int L>
TANDEM_INLINE void centered_lanes(const Layout& l, int64_t batch, const float* dy, const Normalized& xn,
                                  const float* k, const float* m, const float* m_xh, bool accumulate,
                                  float* dx) {
  const int64_t blocks = l.channels / L, size = l.inner * L;
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t b = 0; b < blocks; ++b) {
      const int64_t base = (n * blocks + b) * size, c0 = b * L;
      const Lanes<L> kk(k, c0), mm(m, c0), mx(m_xh, c0), xm(xn.mean, c0), xs(xn.istd, c0);
      const float* d = dy + base;
      const float* x = xn.x + base;
      float* out = dx + base;
      for (int64_t i = 0; i < l.inner; ++i)
        for (int j = 0; j < L; ++j) {
          const int64_t e = i * L + j;
          const float h = (x[e] - xm.v[j]) * xs.v[j];
          const float v = kk.v[j] * (d[e] - mm.v[j] - h * mx.v[j]);
          out[e] = accumulate ? out[e] + v : v;
        }
    }
}

template <int L>
TANDEM_INLINE void tangent_lanes(const Layout& l, int64_t batch, const float* dx, const Normalized& xn,
                                 const float* gamma, const float* dgamma, const float* dbeta, const float* m,
                                 const float* m_xh, float* dy) {
  const int64_t blocks = l.channels / L, size = l.inner * L;
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t b = 0; b < blocks; ++b) {
      const int64_t base = (n * blocks + b) * size, c0 = b * L;
      const Lanes<L> xm(xn.mean, c0), s(xn.istd, c0), g(gamma, c0), dg(dgamma, c0), db(dbeta, c0), mm(m, c0),
          mx(m_xh, c0);
      for (int64_t i = 0; i < l.inner; ++i)
        for (int j = 0; j < L; ++j) {
          const int64_t e = base + i * L + j;
          const float h = (xn.x[e] - xm.v[j]) * s.v[j];
          const float dxh = (dx[e] - mm.v[j] - h * mx.v[j]) * s.v[j];
          dy[e] = dg.v[j] * h + g.v[j] * dxh + db.v[j];
        }
    }
}

// Sums of u and of u * xhat over one block's positions, lane j for channel c0 + j, in double.
// Plain: 8 partial sums over the run, then added up (as kernels::sum_and_dot); blocked: one
// sum per channel.
template <int L>
TANDEM_INLINE void block_sums_and_dots(const float* u, const float* x, int64_t inner, const float* mean,
                                       const float* istd, double* su, double* sux) {
  if (L == 1) {
    constexpr int kParts = 8;
    double sa[kParts] = {}, sd[kParts] = {};
    const float m = mean[0], s = istd[0];
    int64_t i = 0;
    for (; i + kParts <= inner; i += kParts)
      for (int j = 0; j < kParts; ++j) {
        const float h = (x[i + j] - m) * s;
        sa[j] += u[i + j], sd[j] += static_cast<double>(u[i + j]) * h;
      }
    double a = 0, d = 0;
    for (; i < inner; ++i) {
      const float h = (x[i] - m) * s;
      a += u[i], d += static_cast<double>(u[i]) * h;
    }
    for (int j = 0; j < kParts; ++j) a += sa[j], d += sd[j];
    su[0] = a, sux[0] = d;
    return;
  }
  for (int j = 0; j < L; ++j) su[j] = sux[j] = 0;
  for (int64_t i = 0; i < inner; ++i)
    for (int j = 0; j < L; ++j) {
      const int64_t e = i * L + j;
      const float h = (x[e] - mean[j]) * istd[j];
      su[j] += u[e], sux[j] += static_cast<double>(u[e]) * h;
    }
}

template <int L>
TANDEM_INLINE void sums_and_dots_lanes(const Layout& l, int64_t batch, const float* u, const Normalized& xn,
                                       double* su, double* sux, float* dbeta, float* dgamma) {
  const int64_t blocks = l.channels / L, size = l.inner * L;
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t b = 0; b < blocks; ++b) {
      const int64_t base = (n * blocks + b) * size, c0 = b * L;
      double s[L], d[L];
      block_sums_and_dots<L>(u + base, xn.x + base, l.inner, xn.mean + c0, xn.istd + c0, s, d);
      for (int j = 0; j < L; ++j) {
        su[c0 + j] += s[j], sux[c0 + j] += d[j];
        if (dbeta) dbeta[c0 + j] += static_cast<float>(s[j]), dgamma[c0 + j] += static_cast<float>(d[j]);
      }
    }
}

// The blocked layout's sums: one double per channel of a block, over its positions.
constexpr int kBlock = 16;

TANDEM_INLINE void blocked_sums(const Layout& l, int64_t batch, const float* x, const double* mean,
                                double* out) {
  const int64_t blocks = l.channels / kBlock;
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t b = 0; b < blocks; ++b) {
      const float* p = x + (n * blocks + b) * l.inner * kBlock;
      double acc[kBlock] = {}, m[kBlock];
      for (int j = 0; j < kBlock; ++j) m[j] = mean ? mean[b * kBlock + j] : 0.0;
      if (mean)
        for (int64_t i = 0; i < l.inner; ++i)
          for (int j = 0; j < kBlock; ++j) {
            const double d = p[i * kBlock + j] - m[j];
            acc[j] += d * d;
          }
      else
        for (int64_t i = 0; i < l.inner; ++i)
          for (int j = 0; j < kBlock; ++j) acc[j] += p[i * kBlock + j];
      for (int j = 0; j < kBlock; ++j) out[b * kBlock + j] += acc[j];
    }
}

}  // namespace

TANDEM_MULTIVERSION void add_sums(const Layout& l, int64_t batch, const float* x, double* sum) {
  if (l.lanes == kBlock) return blocked_sums(l, batch, x, nullptr, sum);
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t c = 0; c < l.channels; ++c)
      sum[c] += kernels::sum_double(x + (n * l.channels + c) * l.inner, l.inner);
}

TANDEM_MULTIVERSION void add_squared_deviations(const Layout& l, int64_t batch, const float* x,
                                                const double* mean, double* deviations) {
  if (l.lanes == kBlock) return blocked_sums(l, batch, x, mean, deviations);
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t c = 0; c < l.channels; ++c)
      deviations[c] += kernels::sum_squared_deviations(x + (n * l.channels + c) * l.inner, l.inner, mean[c]);
}

TANDEM_MULTIVERSION void add_sums_and_dots(const Layout& l, int64_t batch, const float* u,
                                           const Normalized& xh, double* su, double* sux, float* dbeta,
                                           float* dgamma) {
  if (l.lanes == kBlock)
    sums_and_dots_lanes<kBlock>(l, batch, u, xh, su, sux, dbeta, dgamma);
  else
    sums_and_dots_lanes<1>(l, batch, u, xh, su, sux, dbeta, dgamma);
}

TANDEM_MULTIVERSION void normalize(const Layout& l, int64_t batch, const Normalized& xh, const float* gamma,
                                   const float* beta, bool relu, float* y) {
  if (l.lanes == kBlock)
    normalize_lanes<kBlock>(l, batch, xh, gamma, beta, relu, y);
  else
    normalize_lanes<1>(l, batch, xh, gamma, beta, relu, y);
}

TANDEM_MULTIVERSION void centered(const Layout& l, int64_t batch, const float* dy, const Normalized& xh,
                                  const float* k, const float* m, const float* m_xh, bool accumulate,
                                  float* dx) {
  if (l.lanes == kBlock)
    centered_lanes<kBlock>(l, batch, dy, xh, k, m, m_xh, accumulate, dx);
  else
    centered_lanes<1>(l, batch, dy, xh, k, m, m_xh, accumulate, dx);
}

TANDEM_MULTIVERSION void tangent(const Layout& l, int64_t batch, const float* dx, const Normalized& xh,
                                 const float* gamma, const float* dgamma, const float* dbeta, const float* m,
                                 const float* m_xh, float* dy) {
  if (l.lanes == kBlock)
    tangent_lanes<kBlock>(l, batch, dx, xh, gamma, dgamma, dbeta, m, m_xh, dy);
  else
    tangent_lanes<1>(l, batch, dx, xh, gamma, dgamma, dbeta, m, m_xh, dy);
}

}  // namespace tandem::ops::channels
