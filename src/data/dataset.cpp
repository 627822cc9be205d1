#include "tandem/data/dataset.hpp"

#include <algorithm>
#include <cstring>

#include "tandem/core/error.hpp"
#include "tandem/io/h5.hpp"
#include "tandem/tensor/kernels.hpp"

namespace tandem::data {

Dataset Dataset::load(const std::string& path, const std::string& split, int64_t limit) {
  io::H5File f(path, io::H5File::Mode::kRead);
  const std::string xs = "/" + split + "/x", ys = "/" + split + "/y";
  TANDEM_CHECK(f.exists(xs), "dataset '", path, "' has no '", xs, "'; a tandem dataset holds /", split,
               "/x and /", split, "/y (see datasets/README.md; convert with 'tandem convert')");
  TANDEM_CHECK(f.exists(ys), "dataset '", path, "' has no '", ys, "' (labels for ", xs, ")");
  const auto xi = f.info(xs), yi = f.info(ys);
  TANDEM_CHECK(xi.dims.size() >= 2, "'", xs, "' in '", path, "' must be [N, ...], got rank ", xi.dims.size());
  TANDEM_CHECK(yi.dims.size() == 1, "'", ys, "' in '", path, "' must be [N] class indices, got rank ",
               yi.dims.size(), " (dense targets are not supported yet)");
  TANDEM_CHECK(xi.dims[0] == yi.dims[0], "'", path, "': ", xs, " has ", xi.dims[0], " rows but ", ys, " has ",
               yi.dims[0], "; every sample needs exactly one label");
  TANDEM_CHECK(xi.type == io::DType::kUint8 || xi.type == io::DType::kFloat32, "'", xs, "' in '", path,
               "' must be uint8 (with a 'scale' attribute) or float32");
  TANDEM_CHECK(yi.type == io::DType::kInt32 || yi.type == io::DType::kUint8, "'", ys, "' in '", path,
               "' must hold int32 class indices");
  Dataset d;
  d.path_ = path;
  d.n_ = limit > 0 ? std::min(limit, xi.dims[0]) : xi.dims[0];
  d.shape_ = Shape(std::vector<int64_t>(xi.dims.begin() + 1, xi.dims.end()));
  const int64_t numel = d.n_ * d.shape_.numel();
  if (xi.type == io::DType::kUint8) {
    d.scale_ = f.has_attr(xs, "scale") ? static_cast<float>(f.attr_double(xs, "scale")) : 1.0f;
    d.x8_.resize(numel);
    if (d.n_ > 0) f.read(xs, d.x8_.data(), 0, d.n_);
  } else {
    d.x32_.resize(numel);
    if (d.n_ > 0) f.read(xs, d.x32_.data(), 0, d.n_);
  }
  d.y_.resize(d.n_);
  if (d.n_ > 0) f.read(ys, d.y_.data(), 0, d.n_);
  for (int64_t i = 0; i < d.n_; ++i)
    TANDEM_CHECK(d.y_[i] >= 0, "'", ys, "' in '", path, "' row ", i, " has negative label ", d.y_[i]);
  if (f.has_attr("/", "classes")) d.classes_ = static_cast<int64_t>(f.attr_strings("/", "classes").size());
  return d;
}

int32_t Dataset::max_label() const {
  return y_.empty() ? -1 : *std::max_element(y_.begin(), y_.end());
}

void Dataset::gather(const int64_t* idx, int64_t n, float* x, int32_t* y) const {
  const int64_t row = sample_numel();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t r = idx[i];
    if (!x8_.empty())
      kernels::u8_to_float(x8_.data() + r * row, x + i * row, row, scale_);
    else
      kernels::copy(x32_.data() + r * row, x + i * row, row);
    y[i] = y_[r];
  }
}

Dataset Dataset::subset(const std::vector<int64_t>& ids) const {
  Dataset d;
  d.path_ = path_;
  d.n_ = static_cast<int64_t>(ids.size());
  d.shape_ = shape_;
  d.scale_ = scale_;
  d.classes_ = classes_;
  const int64_t row = sample_numel();
  if (!x8_.empty()) d.x8_.resize(d.n_ * row);
  if (!x32_.empty()) d.x32_.resize(d.n_ * row);
  d.y_.resize(d.n_);
  for (int64_t i = 0; i < d.n_; ++i) {
    const int64_t r = ids[i];
    TANDEM_CHECK(r >= 0 && r < n_, "subset row ", r, " outside [0, ", n_, ")");
    if (!x8_.empty()) std::memcpy(d.x8_.data() + i * row, x8_.data() + r * row, row);
    if (!x32_.empty()) std::memcpy(d.x32_.data() + i * row, x32_.data() + r * row, row * sizeof(float));
    d.y_[i] = y_[r];
  }
  return d;
}

void Dataset::rows(int64_t begin, int64_t n, float* x, int32_t* y) const {
  const int64_t row = sample_numel();
  if (!x8_.empty())
    kernels::u8_to_float(x8_.data() + begin * row, x, n * row, scale_);
  else
    kernels::copy(x32_.data() + begin * row, x, n * row);
  std::memcpy(y, y_.data() + begin, static_cast<size_t>(n) * sizeof(int32_t));
}

}  // namespace tandem::data
