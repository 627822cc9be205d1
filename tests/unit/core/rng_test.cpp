// The counter-based generator: Philox4x32-10 (Random123's known answers), streams that depend
// only on (seed, purpose, counters), and the distributions drawn from them, checked with
// statistics at fixed seeds whose tolerances come from the sample sizes (5 standard errors,
// or the chi-square quantile at p = 0.999), so they are deterministic and meaningful.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <set>
#include <vector>

#include <Random123/philox.h>

#include "tandem/core/rng.hpp"

namespace tandem {
namespace {

using Words = std::array<uint32_t, 4>;

Words philox(Words ctr, std::array<uint32_t, 2> key) {
  r123::Philox4x32 gen;
  const auto out = gen({{ctr[0], ctr[1], ctr[2], ctr[3]}}, {{key[0], key[1]}});
  return {out.v[0], out.v[1], out.v[2], out.v[3]};
}

TEST(Philox, Random123KnownAnswers) {
  // Philox4x32-10 vectors from Random123's tests/kat_vectors.
  EXPECT_EQ(philox({0, 0, 0, 0}, {0, 0}), (Words{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_EQ(philox({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff}),
            (Words{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(philox({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}),
            (Words{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

TEST(Philox, StreamIsPhiloxKeyedBySeedAndPurposeWalkingTheLastCounterWord) {
  // The key and counter layout of rng.hpp: key (seed low, seed high ^ purpose << 24),
  // counter (c0, c1, c2, block). Fixing it fixes every random stream of saved runs.
  const uint64_t seed = 0x0123456789abcdefull;
  Philox rng(seed, RngPurpose::kAugment, 5, 6, 7);
  const std::array<uint32_t, 2> key{0x89abcdefu, 0x01234567u ^ (4u << 24)};
  for (uint32_t block = 0; block < 3; ++block) EXPECT_EQ(rng.next4(), philox({5, 6, 7, block}, key)) << block;
  // next_u32 hands out the words of the following blocks in order.
  const Words b3 = philox({5, 6, 7, 3}, key), b4 = philox({5, 6, 7, 4}, key);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(rng.next_u32(), b3[i]);
  EXPECT_EQ(rng.next_u32(), b4[0]);
}

std::vector<uint32_t> draw(Philox rng, int n) {
  std::vector<uint32_t> out(n);
  for (auto& v : out) v = rng.next_u32();
  return out;
}

TEST(Philox, SameCoordinatesSameStream) {
  EXPECT_EQ(draw(Philox(42, RngPurpose::kDropout, 1, 2, 3), 1000),
            draw(Philox(42, RngPurpose::kDropout, 1, 2, 3), 1000));
}

TEST(Philox, EachCoordinateNamesADifferentStream) {
  const auto base = draw(Philox(42, RngPurpose::kDropout, 1, 2, 3), 1000);
  const std::vector<std::vector<uint32_t>> others = {
      draw(Philox(43, RngPurpose::kDropout, 1, 2, 3), 1000),
      draw(Philox(42ull | (1ull << 40), RngPurpose::kDropout, 1, 2, 3), 1000),  // seed's high word
      draw(Philox(42, RngPurpose::kShuffle, 1, 2, 3), 1000),
      draw(Philox(42, RngPurpose::kDropout, 0, 2, 3), 1000),
      draw(Philox(42, RngPurpose::kDropout, 1, 0, 3), 1000),
      draw(Philox(42, RngPurpose::kDropout, 1, 2, 0), 1000),
  };
  for (size_t s = 0; s < others.size(); ++s) {
    // Unrelated 32-bit streams agree in a word with probability 2^-32: none of 1,000 should.
    int same = 0;
    for (int i = 0; i < 1000; ++i) same += others[s][i] == base[i];
    EXPECT_EQ(same, 0) << "stream " << s;
    // And are uncorrelated: |r| within 5 standard errors (1/sqrt(n)).
    double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
    const double n = 1000;
    for (int i = 0; i < 1000; ++i) {
      const double a = base[i] / 4294967296.0, b = others[s][i] / 4294967296.0;
      sa += a, sb += b, saa += a * a, sbb += b * b, sab += a * b;
    }
    const double r =
        (sab / n - sa / n * sb / n) / std::sqrt((saa / n - sa * sa / n / n) * (sbb / n - sb * sb / n / n));
    EXPECT_LT(std::fabs(r), 5 / std::sqrt(n)) << "stream " << s;
  }
  // All purposes give distinct first blocks.
  std::set<uint32_t> firsts;
  for (auto p : {RngPurpose::kInit, RngPurpose::kShuffle, RngPurpose::kDropout, RngPurpose::kAugment,
                 RngPurpose::kSplit})
    firsts.insert(Philox(7, p).next_u32());
  EXPECT_EQ(firsts.size(), 5u);
}

TEST(Philox, UniformIsIn0To1On24BitsAndEvenlySpread) {
  Philox rng(2024, RngPurpose::kInit);
  const int n = 160000, bins = 16;
  std::vector<int> count(bins, 0);
  double sum = 0;
  for (int i = 0; i < n; ++i) {
    const float u = rng.uniform();
    ASSERT_GE(u, 0.0f);
    ASSERT_LT(u, 1.0f);
    const float scaled = u * 16777216.0f;  // a multiple of 2^-24
    ASSERT_EQ(scaled, std::floor(scaled)) << u;
    ++count[static_cast<int>(u * bins)];
    sum += u;
  }
  // Mean 1/2 with standard error sqrt(1/12/n).
  EXPECT_NEAR(sum / n, 0.5, 5 * std::sqrt(1.0 / 12 / n));
  // Chi-square over 16 equal bins, 15 degrees of freedom: 37.70 is its 0.999 quantile.
  double chi2 = 0;
  const double expected = static_cast<double>(n) / bins;
  for (int c : count) chi2 += (c - expected) * (c - expected) / expected;
  EXPECT_LT(chi2, 37.70);
}

TEST(Philox, UniformOpen0IsIn0Exclusive1Inclusive) {
  Philox rng(5, RngPurpose::kAugment);
  for (int i = 0; i < 100000; ++i) {
    const double u = rng.uniform_open0();
    ASSERT_GT(u, 0.0);
    ASSERT_LE(u, 1.0);
  }
}

// Chi-square statistic of `draws` values of below(n) over the n outcomes.
double below_chi2(uint64_t n, int draws, uint64_t seed) {
  Philox rng(seed, RngPurpose::kShuffle);
  std::vector<int> count(n, 0);
  for (int i = 0; i < draws; ++i) {
    const uint64_t v = rng.below(n);
    if (v >= n) return 1e300;
    ++count[v];
  }
  double chi2 = 0;
  const double expected = static_cast<double>(draws) / static_cast<double>(n);
  for (int c : count) chi2 += (c - expected) * (c - expected) / expected;
  return chi2;
}

TEST(Philox, BelowIsUniformOverItsRange) {
  // 0.999 quantiles of chi-square with n - 1 degrees of freedom.
  EXPECT_LT(below_chi2(2, 100000, 11), 10.83);
  EXPECT_LT(below_chi2(7, 100000, 12), 22.46);
  EXPECT_LT(below_chi2(10, 100000, 13), 27.88);
  EXPECT_LT(below_chi2(100, 200000, 14), 148.23);
  Philox rng(1, RngPurpose::kShuffle);
  EXPECT_EQ(rng.below(1), 0u);
  EXPECT_EQ(rng.below(0), 0u);
}

TEST(Philox, BelowHasNoModuloBias) {
  // n = 3 * 2^30: a plain `x % n` of a 32-bit x would land below 2^30 half of the time
  // instead of a third.
  const uint64_t n = 3ull << 30;
  Philox rng(77, RngPurpose::kShuffle);
  const int draws = 60000;
  int low = 0;
  for (int i = 0; i < draws; ++i) {
    const uint64_t v = rng.below(n);
    ASSERT_LT(v, n);
    low += v < (1ull << 30);
  }
  EXPECT_NEAR(static_cast<double>(low) / draws, 1.0 / 3, 5 * std::sqrt(1.0 / 3 * 2.0 / 3 / draws));
}

TEST(Philox, BelowCoversRangesBeyond32Bits) {
  const uint64_t n = (5ull << 32) + 3;
  Philox rng(78, RngPurpose::kShuffle);
  const int draws = 50000;
  int high = 0;  // draws >= 4 * 2^32: probability (2^32 + 3) / n, about 1/5
  for (int i = 0; i < draws; ++i) {
    const uint64_t v = rng.below(n);
    ASSERT_LT(v, n);
    high += v >= (4ull << 32);
  }
  const double p = static_cast<double>((1ull << 32) + 3) / static_cast<double>(n);
  EXPECT_NEAR(static_cast<double>(high) / draws, p, 5 * std::sqrt(p * (1 - p) / draws));
}

TEST(Philox, NormalHasStandardMoments) {
  Philox rng(99, RngPurpose::kInit, 3);
  const int n = 200000;
  double s1 = 0, s2 = 0, s3 = 0, s4 = 0;
  int within1 = 0;
  for (int i = 0; i < n; ++i) {
    const double x = rng.normal();
    ASSERT_TRUE(std::isfinite(x));
    s1 += x, s2 += x * x, s3 += x * x * x, s4 += x * x * x * x;
    within1 += std::fabs(x) < 1;
  }
  const double mean = s1 / n, var = s2 / n - mean * mean;
  // Standard errors of the sample moments of N(0, 1), sqrt(Var(x^k) / n): mean 1/sqrt(n),
  // variance sqrt(2/n), third moment sqrt(15/n) (E x^6 = 15), fourth sqrt(96/n) (E x^8 - 9);
  // P(|x| < 1) = 0.682689 binomially.
  EXPECT_NEAR(mean, 0.0, 5 / std::sqrt(n));
  EXPECT_NEAR(var, 1.0, 5 * std::sqrt(2.0 / n));
  EXPECT_NEAR(s3 / n, 0.0, 5 * std::sqrt(15.0 / n));
  EXPECT_NEAR(s4 / n, 3.0, 5 * std::sqrt(96.0 / n));
  const double p1 = 0.682689492;
  EXPECT_NEAR(static_cast<double>(within1) / n, p1, 5 * std::sqrt(p1 * (1 - p1) / n));
}

}  // namespace
}  // namespace tandem
