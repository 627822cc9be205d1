// The oneDNN convolution against a direct convolution in double: forward with and without
// bias, the weight and bias gradients (accumulated), the input gradient (written and
// accumulated) and the tangent pass, for geometries covering plain and blocked layouts,
// strides, padding and a batch size other than the planned one; in bf16, against the same sums
// of the inputs rounded to bf16 (the kernel accumulates in fp32, so only fp32 rounding
// remains). With the ReLU post-op, forward gives max(y, 0) and everything else is unchanged (the
// tangent pass stays linear). No call may fall back to oneDNN's reference code (500x slower).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <vector>

#include "../../support/bf16_rounding.hpp"
#include "../../support/random_floats.hpp"
#include "tandem/tensor/conv_kernel.hpp"

namespace tandem {
namespace {

using dnn::ConvGeometry;

std::vector<float> random_floats(size_t n, uint32_t stream) {
  return testing::uniform_floats(n, 99, stream);
}

struct Direct {  // index helpers and the three sums of a direct convolution, in double
  ConvGeometry g;
  int64_t n;
  int64_t oh() const { return g.out_height(); }
  int64_t ow() const { return g.out_width(); }
  // Calls f(sample, filter, channel, oy, ox, ky, kx, input index) for every valid tap.
  template <class F>
  void taps(F f) const {
    for (int64_t s = 0; s < n; ++s)
      for (int64_t o = 0; o < g.filters; ++o)
        for (int64_t c = 0; c < g.channels; ++c)
          for (int64_t oy = 0; oy < oh(); ++oy)
            for (int64_t ox = 0; ox < ow(); ++ox)
              for (int64_t ky = 0; ky < g.kernel; ++ky)
                for (int64_t kx = 0; kx < g.kernel; ++kx) {
                  const int64_t iy = oy * g.stride - g.pad + ky, ix = ox * g.stride - g.pad + kx;
                  if (iy < 0 || iy >= g.height || ix < 0 || ix >= g.width) continue;
                  const int64_t xi = ((s * g.channels + c) * g.height + iy) * g.width + ix;
                  const int64_t yi = ((s * g.filters + o) * oh() + oy) * ow() + ox;
                  const int64_t wi = ((o * g.channels + c) * g.kernel + ky) * g.kernel + kx;
                  f(xi, yi, wi, o);
                }
  }
};

void expect_near(const std::vector<double>& want, const std::vector<float>& got, const char* what) {
  ASSERT_EQ(want.size(), got.size());
  for (size_t i = 0; i < want.size(); ++i)
    ASSERT_NEAR(got[i], want[i], 1e-4 * (1.0 + std::fabs(want[i]))) << what << " at " << i;
}

void check_geometry(ConvGeometry g, int64_t planned, int64_t n, Precision precision = Precision::kFp32) {
  g.precision = precision;
  const auto q = [&](float v) {
    return precision == Precision::kBf16 ? testing::rounded_to_bf16(v) : double(v);
  };
  dnn::ConvKernel k(g);
  const auto impl = k.implementation(n);
  EXPECT_EQ(impl.find("ref"), std::string::npos) << impl;
  std::cout << impl << "\n";
  const Direct d{g, n};
  const int64_t xs = n * g.channels * g.height * g.width, ys = n * g.filters * d.oh() * d.ow();
  const int64_t ws = g.filters * g.channels * g.kernel * g.kernel;
  const auto x = random_floats(xs, 1), w = random_floats(ws, 2), b = random_floats(g.filters, 3);
  const auto dy = random_floats(ys, 4), xt = random_floats(xs, 5), wt = random_floats(ws, 6);
  std::vector<float> workspace(k.workspace_floats(planned) + k.workspace_floats(n));
  std::vector<float> scratch(std::max(k.scratch_floats(planned), k.scratch_floats(n)));

  std::vector<double> y(ys), dw(ws, 0.5), db(g.filters, 0.25), dx(xs), yt(ys);
  for (int64_t i = 0; i < ys; ++i) y[i] = yt[i] = g.bias ? b[(i / (d.oh() * d.ow())) % g.filters] : 0.0;
  d.taps([&](int64_t xi, int64_t yi, int64_t wi, int64_t) {
    y[yi] += q(x[xi]) * q(w[wi]);
    dw[wi] += q(x[xi]) * q(dy[yi]);
    dx[xi] += q(w[wi]) * q(dy[yi]);
    yt[yi] += q(xt[xi]) * q(w[wi]) + q(x[xi]) * q(wt[wi]);
  });
  for (int64_t i = 0; i < ys; ++i)
    db[(i / (d.oh() * d.ow())) % g.filters] += q(dy[i]);  // dy as the kernel reads it
  if (g.relu)
    for (auto& v : y) v = std::max(v, 0.0);

  std::vector<float> got_y(ys), got_dw(ws, 0.5f), got_db(g.filters, 0.25f), got_dx(xs, 7.0f), got_yt(ys);
  k.forward(n, x.data(), w.data(), g.bias ? b.data() : nullptr, got_y.data(), workspace.data(),
            scratch.data());
  expect_near(y, got_y, "forward");
  k.backward(n, x.data(), dy.data(), w.data(), got_dw.data(), g.bias ? got_db.data() : nullptr, got_dx.data(),
             false, workspace.data(), scratch.data());
  expect_near(dw, got_dw, "weight gradient (accumulated onto 0.5)");
  if (g.bias) expect_near(db, got_db, "bias gradient (accumulated onto 0.25)");
  expect_near(dx, got_dx, "input gradient");
  k.backward(n, x.data(), dy.data(), w.data(), got_dw.data(), g.bias ? got_db.data() : nullptr, got_dx.data(),
             true, workspace.data(), scratch.data());
  for (auto& v : dx) v *= 2;
  expect_near(dx, got_dx, "input gradient accumulated");
  for (int64_t i = 0; i < ws; ++i) dw[i] = 2 * dw[i] - 0.5;
  expect_near(dw, got_dw, "weight gradient accumulated twice");
  std::vector<float> untouched(ws, 0.0f);
  k.backward(n, x.data(), dy.data(), w.data(), untouched.data(), nullptr, nullptr, false, workspace.data(),
             scratch.data());  // no input gradient asked for: dx stays as it is
  for (auto& v : dw) v = (v + 0.5) / 2 - 0.5;
  expect_near(dw, untouched, "weight gradient alone");
  k.apply(n, xt.data(), w.data(), g.bias ? b.data() : nullptr, got_yt.data(), false, scratch.data());
  k.apply(n, x.data(), wt.data(), nullptr, got_yt.data(), true, scratch.data());
  expect_near(yt, got_yt, "tangent");
}

TEST(ConvKernel, FirstLayerPlainInput) {
  check_geometry({1, 9, 9, 16, 3, 1, 0, true}, 4, 4);
}

TEST(ConvKernel, BlockedLayoutsPaddingNoBias) {
  check_geometry({32, 7, 7, 32, 3, 1, 1, false}, 3, 3);
}

TEST(ConvKernel, StrideOddChannelsAndAShorterBatch) {
  check_geometry({5, 11, 10, 7, 3, 2, 1, true}, 6, 2);
}

TEST(ConvKernel, OneByOne) {
  check_geometry({16, 5, 5, 32, 1, 1, 0, true}, 2, 2);
}

TEST(ConvKernel, ReluPostOpOnForwardOnly) {
  ConvGeometry blocked{32, 7, 7, 32, 3, 1, 1, false}, plain{5, 11, 10, 7, 3, 2, 1, true};
  blocked.relu = plain.relu = true;
  check_geometry(blocked, 3, 3);
  check_geometry(plain, 6, 2);
  check_geometry(blocked, 3, 3, Precision::kBf16);
}

TEST(ConvKernel, Bf16InputsFp32Accumulation) {
  check_geometry({1, 9, 9, 16, 3, 1, 0, true}, 4, 4, Precision::kBf16);
  check_geometry({32, 7, 7, 32, 3, 1, 1, false}, 3, 3, Precision::kBf16);
  check_geometry({5, 11, 10, 7, 3, 2, 1, true}, 6, 2, Precision::kBf16);
}

}  // namespace
}  // namespace tandem
