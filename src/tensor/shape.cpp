#include "tandem/tensor/shape.hpp"

#include <iterator>

#include "tandem/core/error.hpp"

namespace tandem {

// Shapes are built on hot paths (views of every node in every step): no heap allocation.
template <typename It>
static int fill_dims(std::array<int64_t, Shape::kMaxRank>& out, It begin, It end) {
  const auto n = std::distance(begin, end);
  TANDEM_CHECK(n <= Shape::kMaxRank, "tensor rank ", n, " exceeds the maximum of ", Shape::kMaxRank);
  int i = 0;
  int64_t numel = 1;
  for (It it = begin; it != end; ++it, ++i) {
    TANDEM_CHECK(*it >= 0, "negative extent ", *it, " in a shape");
    // numel() need not check: no shape holds more values than int64 counts.
    TANDEM_CHECK(!__builtin_mul_overflow(numel, *it, &numel),
                 "a tensor shape holds more than 2^63 values (at extent ", *it, "); make the model smaller");
    out[i] = *it;
  }
  return i;
}

Shape::Shape(std::initializer_list<int64_t> dims) {
  rank_ = fill_dims(dims_, dims.begin(), dims.end());
}

Shape::Shape(const std::vector<int64_t>& dims) {
  rank_ = fill_dims(dims_, dims.begin(), dims.end());
}

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int i = 0; i < rank_; ++i) n *= dims_[i];
  return n;
}

Shape Shape::with_batch(int64_t n) const {
  TANDEM_ASSERT(rank_ < kMaxRank, "cannot add a batch dimension to ", str());
  Shape s;
  s.rank_ = rank_ + 1;
  s.dims_[0] = n;
  for (int i = 0; i < rank_; ++i) s.dims_[i + 1] = dims_[i];
  return s;
}

Shape Shape::drop_front() const {
  TANDEM_ASSERT(rank_ > 0, "cannot drop the first dimension of a scalar shape");
  Shape s;
  s.rank_ = rank_ - 1;
  for (int i = 1; i < rank_; ++i) s.dims_[i - 1] = dims_[i];
  return s;
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
