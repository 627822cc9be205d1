#pragma once
// Tensor: a shape plus a non-owning view into float32 storage (an arena or a Buffer).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "tandem/tensor/shape.hpp"

namespace tandem {

class Tensor {
 public:
  Tensor() = default;
  Tensor(float* data, Shape shape) : data_(data), shape_(shape) {}

  float* data() const { return data_; }
  const Shape& shape() const { return shape_; }
  int64_t numel() const { return shape_.numel(); }
  int64_t dim(int i) const { return shape_[i]; }
  bool empty() const { return data_ == nullptr; }
  std::span<float> span() const { return {data_, static_cast<size_t>(numel())}; }
  float& operator[](int64_t i) const { return data_[i]; }

  // Rows [begin, begin + count) of the first dimension.
  Tensor rows(int64_t begin, int64_t count) const;
  // The same storage seen with another shape of equal size.
  Tensor reshaped(const Shape& shape) const;

 private:
  float* data_ = nullptr;
  Shape shape_;
};

// Owning, 64-byte aligned float storage. Allocated once, then reused.
class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(size_t count) { resize(count); }
  // Reallocates only when growing; contents are zeroed after a reallocation. The zeros come
  // from calloc, so large buffers take no resident memory until they are first written
  // (tangent buffers of a model never run in forward mode cost nothing).
  void resize(size_t count);
  float* data() const { return data_; }
  size_t size() const { return size_; }
  Tensor view(const Shape& shape, size_t offset = 0) const;
  void fill(float value);

 private:
  struct Free {
    void operator()(void* p) const;
  };
  std::unique_ptr<void, Free> block_;  // as calloc returned it
  float* data_ = nullptr;              // block_ rounded up to 64 bytes
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace tandem
