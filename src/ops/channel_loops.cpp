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
TANDEM_INLINE void normalize_lanes(const Layout& l, int64_t batch, const float* x, const float* mean,
                                   const float* istd, const float* gamma, const float* beta, bool relu,
                                   float* xh, float* y) {
  const int64_t blocks = l.channels / L, size = l.inner * L;
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t b = 0; b < blocks; ++b) {
      const int64_t base = (n * blocks + b) * size, c0 = b * L;
      const Lanes<L> m(mean, c0), s(istd, c0), g(gamma, c0), be(beta, c0);
      const float* xp = x + base;
      float* hp = xh + base;
      float* yp = y + base;
      for (int64_t i = 0; i < l.inner; ++i)
        for (int j = 0; j < L; ++j) {
          const int64_t e = i * L + j;
          hp[e] = (xp[e] - m.v[j]) * s.v[j];
          yp[e] = g.v[j] * hp[e] + be.v[j];
        }
      if (relu)  // while the block is in cache
        for (int64_t e = 0; e < size; ++e) yp[e] = std::max(yp[e], 0.0f);
    }
}

template <int L>
TANDEM_INLINE void centered_lanes(const Layout& l, int64_t batch, const float* dy, const float* xh,
                                  const float* k, const float* m, const float* m_xh, bool accumulate,
                                  float* dx) {
  const int64_t blocks = l.channels / L, size = l.inner * L;
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t b = 0; b < blocks; ++b) {
      const int64_t base = (n * blocks + b) * size, c0 = b * L;
      const Lanes<L> kk(k, c0), mm(m, c0), mx(m_xh, c0);
      const float* d = dy + base;
      const float* h = xh + base;
      float* out = dx + base;
      if (accumulate)
        for (int64_t i = 0; i < l.inner; ++i)
          for (int j = 0; j < L; ++j) {
            const int64_t e = i * L + j;
            out[e] += kk.v[j] * (d[e] - mm.v[j] - h[e] * mx.v[j]);
          }
      else
        for (int64_t i = 0; i < l.inner; ++i)
          for (int j = 0; j < L; ++j) {
            const int64_t e = i * L + j;
            out[e] = kk.v[j] * (d[e] - mm.v[j] - h[e] * mx.v[j]);
          }
    }
}

template <int L>
TANDEM_INLINE void tangent_lanes(const Layout& l, int64_t batch, const float* dx, const float* xh,
                                 const float* istd, const float* gamma, const float* dgamma,
                                 const float* dbeta, const float* m, const float* m_xh, float* dy) {
  const int64_t blocks = l.channels / L, size = l.inner * L;
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t b = 0; b < blocks; ++b) {
      const int64_t base = (n * blocks + b) * size, c0 = b * L;
      const Lanes<L> s(istd, c0), g(gamma, c0), dg(dgamma, c0), db(dbeta, c0), mm(m, c0), mx(m_xh, c0);
      for (int64_t i = 0; i < l.inner; ++i)
        for (int j = 0; j < L; ++j) {
          const int64_t e = base + i * L + j;
          const float dxh = (dx[e] - mm.v[j] - xh[e] * mx.v[j]) * s.v[j];
          dy[e] = dg.v[j] * xh[e] + g.v[j] * dxh + db.v[j];
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

TANDEM_MULTIVERSION void add_sums_and_dots(const Layout& l, int64_t batch, const float* u, const float* xh,
                                           double* su, double* sux, float* dbeta, float* dgamma) {
  const int64_t lanes = l.lanes, blocks = l.channels / lanes, size = l.inner * lanes;
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t b = 0; b < blocks; ++b) {
      const int64_t base = (n * blocks + b) * size;
      double s[kBlock] = {}, d[kBlock] = {};
      if (lanes == 1) {
        kernels::sum_and_dot(u + base, xh + base, l.inner, s, d);
      } else {
        for (int64_t i = 0; i < l.inner; ++i)
          for (int j = 0; j < kBlock; ++j) {
            const int64_t e = base + i * kBlock + j;
            s[j] += u[e], d[j] += static_cast<double>(u[e]) * xh[e];
          }
      }
      for (int64_t j = 0; j < lanes; ++j) {
        const int64_t c = b * lanes + j;
        su[c] += s[j], sux[c] += d[j];
        if (dbeta) dbeta[c] += static_cast<float>(s[j]), dgamma[c] += static_cast<float>(d[j]);
      }
    }
}

TANDEM_MULTIVERSION void normalize(const Layout& l, int64_t batch, const float* x, const float* mean,
                                   const float* istd, const float* gamma, const float* beta, bool relu,
                                   float* xh, float* y) {
  if (l.lanes == kBlock)
    normalize_lanes<kBlock>(l, batch, x, mean, istd, gamma, beta, relu, xh, y);
  else
    normalize_lanes<1>(l, batch, x, mean, istd, gamma, beta, relu, xh, y);
}

TANDEM_MULTIVERSION void centered(const Layout& l, int64_t batch, const float* dy, const float* xh,
                                  const float* k, const float* m, const float* m_xh, bool accumulate,
                                  float* dx) {
  if (l.lanes == kBlock)
    centered_lanes<kBlock>(l, batch, dy, xh, k, m, m_xh, accumulate, dx);
  else
    centered_lanes<1>(l, batch, dy, xh, k, m, m_xh, accumulate, dx);
}

TANDEM_MULTIVERSION void tangent(const Layout& l, int64_t batch, const float* dx, const float* xh,
                                 const float* istd, const float* gamma, const float* dgamma,
                                 const float* dbeta, const float* m, const float* m_xh, float* dy) {
  if (l.lanes == kBlock)
    tangent_lanes<kBlock>(l, batch, dx, xh, istd, gamma, dgamma, dbeta, m, m_xh, dy);
  else
    tangent_lanes<1>(l, batch, dx, xh, istd, gamma, dgamma, dbeta, m, m_xh, dy);
}

}  // namespace tandem::ops::channels
