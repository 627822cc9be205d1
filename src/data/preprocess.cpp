#include "tandem/data/preprocess.hpp"

#include <cmath>
#include <vector>

#include "tandem/core/error.hpp"
#include "tandem/tensor/blas.hpp"

namespace tandem::data {
namespace {

constexpr int64_t kChunk = 256;  // rows read at a time

// Calls f(rows, n) over this rank's contiguous share of the dataset, kChunk rows at a time.
template <typename F>
void for_my_rows(const Dataset& d, int input, const dist::Comm& comm, std::vector<float>& x, F f) {
  const int64_t n = d.size(), begin = n * comm.rank() / comm.size(),
                end = n * (comm.rank() + 1) / comm.size();
  x.resize(static_cast<size_t>(kChunk * d.inputs()[input].width()));
  for (int64_t pos = begin; pos < end; pos += kChunk) {
    const int64_t rows = std::min(kChunk, end - pos);
    d.input_rows(input, nullptr, pos, rows, x.data());
    f(x.data(), rows);
  }
}

// Which statistic group each feature belongs to: one global group, its channel, or (every
// other mode) itself. Groups are numbered 0..groups-1.
std::vector<int64_t> feature_groups(model::PreprocessMode mode, const Shape& sample, int64_t& groups) {
  using Mode = model::PreprocessMode;
  const int64_t d = sample.numel();
  if (mode == Mode::kStandardizeChannel)
    TANDEM_USAGE_CHECK(sample.rank() >= 2,
                       "--preprocess standardize_channel needs samples shaped [C, H, W]; ", "these are ",
                       sample.str(), ": use standardize or standardize_global");
  groups = mode == Mode::kStandardizeGlobal ? 1 : mode == Mode::kStandardizeChannel ? sample[0] : d;
  std::vector<int64_t> g(static_cast<size_t>(d));
  for (int64_t j = 0; j < d; ++j) g[j] = j / (d / groups);
  return g;
}

// The whitening matrix from the covariance [D, D] (destroyed): rows of U^T scaled by
// 1/sqrt(lambda + eps), largest eigenvalue first (PCA), or rotated back, U diag U^T (ZCA).
std::vector<float> whitening_matrix(std::vector<double>& cov, int64_t d, double eps, bool zca) {
  std::vector<double> lambda(static_cast<size_t>(d));
  blas::symmetric_eigen(d, cov.data(), lambda.data());  // row k of cov: eigenvector k, ascending
  std::vector<double> inv_sqrt(static_cast<size_t>(d));
  for (int64_t k = 0; k < d; ++k) inv_sqrt[k] = 1.0 / std::sqrt(std::max(lambda[k], 0.0) + eps);
  std::vector<float> w(static_cast<size_t>(d * d), 0.0f);
  if (!zca) {
    for (int64_t r = 0; r < d; ++r) {
      const int64_t k = d - 1 - r;  // descending eigenvalues
      for (int64_t j = 0; j < d; ++j) w[r * d + j] = static_cast<float>(cov[k * d + j] * inv_sqrt[k]);
    }
    return w;
  }
  // ZCA: W = U diag(inv_sqrt) U^T = (PCA rows)^T U^T, one GEMM of the scaled and plain
  // eigenvector rows.
  std::vector<float> scaled(static_cast<size_t>(d * d)), plain(static_cast<size_t>(d * d));
  for (int64_t k = 0; k < d; ++k)
    for (int64_t j = 0; j < d; ++j) {
      plain[k * d + j] = static_cast<float>(cov[k * d + j]);
      scaled[k * d + j] = static_cast<float>(cov[k * d + j] * inv_sqrt[k]);
    }
  blas::gemm(blas::Trans::kYes, blas::Trans::kNo, d, d, d, 1.0f, scaled.data(), d, plain.data(), d, 0.0f,
             w.data(), d);
  return w;
}

// The training rows being fitted: input field `input` of this rank's share, and the statistic
// group of each of its d features.
struct FitRows {
  const Dataset& train;
  int input;
  dist::Comm& comm;
  int64_t d = 0, groups = 0;
  std::vector<int64_t> group;  // [d]
  std::vector<float> x;        // chunk buffer
};

// The result of pass 1: each group's mean, the rows of all ranks, and the values per group.
struct GroupMeans {
  std::vector<double> mean;  // [groups]
  double rows_total = 0, per_group = 0;
};

// Pass 1: the mean of every group over all ranks; also written into p.mean, per feature.
GroupMeans fit_means(FitRows& f, model::Preprocessing& p) {
  const int64_t d = f.d, groups = f.groups;
  const auto& group = f.group;
  std::vector<double> sums(static_cast<size_t>(groups + 1), 0.0);
  for_my_rows(f.train, f.input, f.comm, f.x, [&](const float* rows, int64_t n) {
    for (int64_t r = 0; r < n; ++r)
      for (int64_t j = 0; j < d; ++j) sums[group[j]] += rows[r * d + j];
    sums[groups] += static_cast<double>(n);
  });
  f.comm.allreduce_sum(sums.data(), groups + 1);
  GroupMeans m;
  m.rows_total = sums[groups];
  TANDEM_USAGE_CHECK(m.rows_total > 0, "--preprocess ", enum_name(p.mode),
                     " needs training samples to fit on");
  m.per_group = m.rows_total * static_cast<double>(d / groups);
  m.mean.resize(static_cast<size_t>(groups));
  for (int64_t g = 0; g < groups; ++g) m.mean[g] = sums[g] / m.per_group;
  p.mean.resize(static_cast<size_t>(d));
  for (int64_t j = 0; j < d; ++j) p.mean[j] = static_cast<float>(m.mean[group[j]]);
  return m;
}

// Pass 2 of standardization: squared deviations from the mean (two passes: no cancellation),
// into p.scale = 1 / standard deviation.
void fit_scale(FitRows& f, const GroupMeans& m, model::Preprocessing& p) {
  const int64_t d = f.d, groups = f.groups;
  const auto& group = f.group;
  const auto& mean = m.mean;
  std::vector<double> sq(static_cast<size_t>(groups), 0.0);
  for_my_rows(f.train, f.input, f.comm, f.x, [&](const float* rows, int64_t n) {
    for (int64_t r = 0; r < n; ++r)
      for (int64_t j = 0; j < d; ++j) {
        const double v = rows[r * d + j] - mean[group[j]];
        sq[group[j]] += v * v;
      }
  });
  f.comm.allreduce_sum(sq.data(), groups);
  p.scale.resize(static_cast<size_t>(d));
  for (int64_t j = 0; j < d; ++j) {
    const double sd = std::sqrt(sq[group[j]] / m.per_group);
    // A constant feature (an always-black border pixel) stays 0 instead of dividing by ~0.
    p.scale[j] = sd > 1e-8 ? static_cast<float>(1.0 / sd) : 1.0f;
  }
}

// Pass 2 of whitening: the covariance, float GEMMs of centred chunks accumulated in double,
// then the whitening matrix into p.whiten.
void fit_whitening(FitRows& f, const GroupMeans& m, double eps, bool zca, model::Preprocessing& p) {
  const int64_t d = f.d;
  std::vector<double> cov(static_cast<size_t>(d * d), 0.0);
  std::vector<float> part(static_cast<size_t>(d * d));
  for_my_rows(f.train, f.input, f.comm, f.x, [&](float* rows, int64_t n) {
    for (int64_t r = 0; r < n; ++r)
      for (int64_t j = 0; j < d; ++j) rows[r * d + j] -= p.mean[j];
    blas::gemm(blas::Trans::kYes, blas::Trans::kNo, d, d, n, 1.0f, rows, d, rows, d, 0.0f, part.data(), d);
    for (int64_t i = 0; i < d * d; ++i) cov[i] += part[i];
  });
  f.comm.allreduce_sum(cov.data(), d * d);
  for (auto& c : cov) c /= m.rows_total;
  // One eigendecomposition, on rank 0: every rank then holds bit-identical matrices.
  p.whiten.resize(static_cast<size_t>(d * d));
  if (f.comm.is_root()) p.whiten = whitening_matrix(cov, d, eps, zca);
  f.comm.broadcast(p.whiten.data(), d * d * static_cast<int64_t>(sizeof(float)), 0);
}

}  // namespace

model::Preprocessing fit_preprocessing(const Dataset& train, model::PreprocessMode mode, double eps,
                                       dist::Comm& comm, int input) {
  using Mode = model::PreprocessMode;
  model::Preprocessing p;
  p.mode = mode;
  if (mode == Mode::kNone) return p;
  const bool whiten = mode == Mode::kPcaWhiten || mode == Mode::kZcaWhiten;
  TANDEM_USAGE_CHECK(!whiten || eps >= 0, "--whiten-eps must be >= 0, got ", eps);
  const int64_t d = train.inputs()[input].width();
  TANDEM_USAGE_CHECK(!whiten || d <= 8192, "--preprocess ", enum_name(mode), " needs a ", d, "x", d,
                     " covariance; whitening is limited to 8192 features: use standardize instead");
  p.eps = whiten ? eps : 0;
  FitRows f{train, input, comm, d, 0, {}, {}};
  f.group = feature_groups(mode, train.inputs()[input].shape, f.groups);
  const auto means = fit_means(f, p);
  if (mode == Mode::kCenter) return p;
  if (!whiten) {
    fit_scale(f, means, p);
    return p;
  }
  fit_whitening(f, means, eps, mode == Mode::kZcaWhiten, p);
  return p;
}

}  // namespace tandem::data
