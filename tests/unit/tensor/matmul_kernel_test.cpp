// The oneDNN matrix products of a dense layer against the same sums in double: forward with and
// without bias, dW and db accumulated, dx written and accumulated, dW in reported row blocks,
// and the tangent product; in fp32 and in bf16 (there against the sums of the inputs rounded to
// bf16: the kernel accumulates in fp32, so only fp32 rounding remains), for a batch size other
// than the first one planned. No call may fall back to oneDNN's reference code.
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <vector>

#include "../../support/bf16_rounding.hpp"
#include "../../support/random_floats.hpp"
#include "tandem/tensor/matmul_kernel.hpp"

namespace tandem {
namespace {

using dnn::MatmulGeometry;

void expect_near(const std::vector<double>& want, const std::vector<float>& got, const char* what) {
  ASSERT_EQ(want.size(), got.size());
  for (size_t i = 0; i < want.size(); ++i)
    ASSERT_NEAR(got[i], want[i], 1e-4 * (1.0 + std::fabs(want[i]))) << what << " at " << i;
}

void check(MatmulGeometry g, int64_t planned, int64_t n) {
  const auto q = [&](float v) {
    return g.precision == Precision::kBf16 ? testing::rounded_to_bf16(v) : double(v);
  };
  dnn::MatmulKernel k(g);
  const auto impl = k.implementation(n);
  EXPECT_EQ(impl.find("ref"), std::string::npos) << impl;
  std::cout << impl << "\n";
  const int64_t in = g.in, out = g.out;
  const auto x = testing::uniform_floats(n * in, 7, 1), w = testing::uniform_floats(out * in, 7, 2);
  const auto b = testing::uniform_floats(out, 7, 3), dy = testing::uniform_floats(n * out, 7, 4);
  const auto xt = testing::uniform_floats(n * in, 7, 5), wt = testing::uniform_floats(out * in, 7, 6);
  std::vector<float> workspace(k.workspace_floats(planned) + k.workspace_floats(n));
  std::vector<float> scratch(std::max(k.scratch_floats(planned), k.scratch_floats(n)));

  std::vector<double> y(n * out), dw(out * in, 0.5), db(out, 0.25), dx(n * in), yt(n * out, 0.125);
  for (int64_t s = 0; s < n; ++s)
    for (int64_t o = 0; o < out; ++o) {
      y[s * out + o] = g.bias ? b[o] : 0.0;
      db[o] += dy[s * out + o];  // the bias gradient sums dy in fp32, not rounded
      for (int64_t i = 0; i < in; ++i) {
        y[s * out + o] += q(x[s * in + i]) * q(w[o * in + i]);
        dw[o * in + i] += q(dy[s * out + o]) * q(x[s * in + i]);
        dx[s * in + i] += q(dy[s * out + o]) * q(w[o * in + i]);
        yt[s * out + o] += q(xt[s * in + i]) * q(w[o * in + i]) + q(x[s * in + i]) * q(wt[o * in + i]);
      }
    }

  std::vector<float> got_y(n * out), got_dw(out * in, 0.5f), got_db(out, 0.25f), got_dx(n * in, 7.0f);
  k.forward(n, x.data(), w.data(), g.bias ? b.data() : nullptr, got_y.data(), workspace.data(),
            scratch.data());
  expect_near(y, got_y, "forward");
  std::vector<const float*> reported;
  const std::function<void(const float*)> report = [&](const float* end) { reported.push_back(end); };
  k.backward(n, x.data(), dy.data(), w.data(), got_dw.data(), got_db.data(), got_dx.data(), false,
             workspace.data(), scratch.data(), &report);
  expect_near(dw, got_dw, "weight gradient (accumulated onto 0.5)");
  expect_near(db, got_db, "bias gradient (accumulated onto 0.25)");
  expect_near(dx, got_dx, "input gradient");
  if (g.piece_rows > 0) {  // every block end but the last, in order
    ASSERT_EQ(reported.size(), size_t((out + g.piece_rows - 1) / g.piece_rows - 1));
    for (size_t i = 0; i < reported.size(); ++i)
      EXPECT_EQ(reported[i], got_dw.data() + (i + 1) * g.piece_rows * in);
  }
  k.backward(n, x.data(), dy.data(), w.data(), got_dw.data(), nullptr, got_dx.data(), true, workspace.data(),
             scratch.data());
  for (auto& v : dx) v *= 2;
  expect_near(dx, got_dx, "input gradient accumulated");
  for (auto& v : dw) v = 2 * v - 0.5;
  expect_near(dw, got_dw, "weight gradient accumulated twice");
  expect_near(db, got_db, "bias gradient untouched without db");

  std::vector<float> got_yt(n * out, 0.125f);
  k.apply_add(n, xt.data(), w.data(), got_yt.data(), scratch.data());
  k.apply_add(n, x.data(), wt.data(), got_yt.data(), scratch.data());
  expect_near(yt, got_yt, "tangent");
}

TEST(MatmulKernel, Fp32WithBiasAndAShorterBatch) {
  check({37, 19, true, Precision::kFp32}, 8, 5);
}

TEST(MatmulKernel, Fp32NoBiasInRowBlocks) {
  check({16, 23, false, Precision::kFp32, 5}, 6, 6);
}

TEST(MatmulKernel, Bf16InputsFp32Accumulation) {
  check({37, 19, true, Precision::kBf16}, 8, 5);
  check({64, 32, false, Precision::kBf16, 7}, 4, 4);
  check({16, 23, true, Precision::kBf16, 23}, 3, 9);  // one block: nothing reported
}

}  // namespace
}  // namespace tandem
