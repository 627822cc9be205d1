#include "tandem/tensor/tensor.hpp"

#include <algorithm>
#include <cstdlib>
#include <new>

#include "tandem/core/error.hpp"

namespace tandem {

Tensor Tensor::rows(int64_t begin, int64_t count) const {
  TANDEM_ASSERT(shape_.rank() > 0 && begin >= 0 && begin + count <= shape_[0], "rows [", begin, ", ",
                begin + count, ") out of range for a tensor of shape ", shape_.str());
  Shape s = shape_;
  s[0] = count;
  const int64_t row = shape_[0] ? numel() / shape_[0] : 0;
  return Tensor(data_ + begin * row, s);
}

Tensor Tensor::reshaped(const Shape& shape) const {
  TANDEM_ASSERT(shape.numel() == numel(), "cannot view a tensor of shape ", shape_.str(), " as ",
                shape.str());
  return Tensor(data_, shape);
}

void Buffer::Free::operator()(void* p) const {
  std::free(p);
}

void Buffer::resize(size_t count) {
  if (count > capacity_) {
    constexpr size_t kAlign = 64;
    void* block = std::calloc(count * sizeof(float) + kAlign, 1);
    if (!block) throw std::bad_alloc();
    const auto at = (reinterpret_cast<uintptr_t>(block) + kAlign - 1) / kAlign * kAlign;
    block_.reset(block);
    data_ = reinterpret_cast<float*>(at);
    capacity_ = count;
  }
  size_ = count;
}

Tensor Buffer::view(const Shape& shape, size_t offset) const {
  TANDEM_ASSERT(offset + static_cast<size_t>(shape.numel()) <= size_, "view of ", shape.str(), " at offset ",
                offset, " exceeds a buffer of ", size_, " floats");
  return Tensor(data_ + offset, shape);
}

void Buffer::fill(float value) {
  std::fill(data_, data_ + size_, value);
}

}  // namespace tandem
