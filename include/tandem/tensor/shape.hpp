#pragma once
// A tensor shape: up to kMaxRank extents, row-major. Images are NCHW.
#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace tandem {

class Shape {
 public:
  static constexpr int kMaxRank = 6;

  Shape() = default;
  Shape(std::initializer_list<int64_t> dims);
  explicit Shape(const std::vector<int64_t>& dims);

  int rank() const { return rank_; }
  int64_t operator[](int i) const { return dims_[i]; }
  int64_t& operator[](int i) { return dims_[i]; }
  int64_t numel() const;
  // The shape with a batch dimension in front: [n, dims...].
  Shape with_batch(int64_t n) const;
  // The shape without its first dimension.
  Shape drop_front() const;
  std::vector<int64_t> dims() const { return {dims_.begin(), dims_.begin() + rank_}; }
  std::string str() const;  // "[2, 3, 4]"

  bool operator==(const Shape& other) const;
  bool operator!=(const Shape& other) const { return !(*this == other); }

 private:
  std::array<int64_t, kMaxRank> dims_{};
  int rank_ = 0;
};

}  // namespace tandem
