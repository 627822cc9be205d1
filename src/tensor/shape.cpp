#include "tandem/tensor/shape.hpp"

#include "tandem/core/error.hpp"

namespace tandem {

Shape::Shape(std::initializer_list<int64_t> dims) : Shape(std::vector<int64_t>(dims)) {}

Shape::Shape(const std::vector<int64_t>& dims) {
  TANDEM_CHECK(static_cast<int>(dims.size()) <= kMaxRank, "tensor rank ", dims.size(),
               " exceeds the maximum of ", kMaxRank);
  rank_ = static_cast<int>(dims.size());
  for (int i = 0; i < rank_; ++i) {
    TANDEM_CHECK(dims[i] >= 0, "negative extent ", dims[i], " in a shape");
    dims_[i] = dims[i];
  }
}

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int i = 0; i < rank_; ++i) n *= dims_[i];
  return n;
}

Shape Shape::with_batch(int64_t n) const {
  std::vector<int64_t> d{n};
  for (int i = 0; i < rank_; ++i) d.push_back(dims_[i]);
  return Shape(d);
}

Shape Shape::drop_front() const {
  TANDEM_CHECK(rank_ > 0, "cannot drop the first dimension of a scalar shape");
  std::vector<int64_t> d;
  for (int i = 1; i < rank_; ++i) d.push_back(dims_[i]);
  return Shape(d);
}

std::string Shape::str() const {
  std::string s = "[";
  for (int i = 0; i < rank_; ++i) {
    if (i) s += ", ";
    s += std::to_string(dims_[i]);
  }
  return s + "]";
}

bool Shape::operator==(const Shape& other) const {
  if (rank_ != other.rank_) return false;
  for (int i = 0; i < rank_; ++i)
    if (dims_[i] != other.dims_[i]) return false;
  return true;
}

}  // namespace tandem
