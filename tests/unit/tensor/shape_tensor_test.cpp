// Shape (extents, numel, text, equality, batch dimension) and Tensor/Buffer views: which
// floats a view sees, and the errors for views that do not fit.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <numeric>
#include <regex>
#include <string>
#include <vector>

#include "tandem/core/error.hpp"
#include "tandem/tensor/shape.hpp"
#include "tandem/tensor/tensor.hpp"

namespace tandem {
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// An internal invariant's message (TANDEM_ASSERT) with its line number as N.
std::string internal_error_of(const std::function<void()>& f) {
  return std::regex_replace(error_of(f), std::regex(":[0-9]+\\]"), ":N]");
}
std::string internal(const std::string& what, const std::string& file) {
  return "internal error: " + what + " [" + file +
         ":N]; this is a bug in tandem, please report it with this message";
}

TEST(Shape, ExtentsNumelAndText) {
  const Shape s{2, 3, 4};
  EXPECT_EQ(s.rank(), 3);
  EXPECT_EQ(s[0], 2);
  EXPECT_EQ(s[2], 4);
  EXPECT_EQ(s.numel(), 24);
  EXPECT_EQ(s.str(), "[2, 3, 4]");
  EXPECT_EQ(s.dims(), (std::vector<int64_t>{2, 3, 4}));
  EXPECT_EQ(Shape{7}.str(), "[7]");
  EXPECT_EQ((Shape{1, 28, 28}.numel()), 784);
  EXPECT_EQ((Shape{5, 0, 3}).numel(), 0);
  // The scalar shape: rank 0, one element.
  EXPECT_EQ(Shape().rank(), 0);
  EXPECT_EQ(Shape().numel(), 1);
  EXPECT_EQ(Shape().str(), "[]");
}

TEST(Shape, EqualityComparesRankAndEveryExtent) {
  EXPECT_EQ((Shape{2, 3}), (Shape{2, 3}));
  EXPECT_EQ((Shape{2, 3}), Shape(std::vector<int64_t>{2, 3}));
  EXPECT_NE((Shape{2, 3}), (Shape{3, 2}));
  EXPECT_NE((Shape{6}), (Shape{2, 3}));  // same numel
  EXPECT_NE((Shape{2, 3}), (Shape{2, 3, 1}));
  EXPECT_NE(Shape(), (Shape{1}));
  EXPECT_FALSE((Shape{2, 3}) != (Shape{2, 3}));
  Shape m{2, 3};
  m[1] = 5;
  EXPECT_EQ(m, (Shape{2, 5}));
}

TEST(Shape, BatchDimensionAddedAndDropped) {
  EXPECT_EQ((Shape{1, 28, 28}).with_batch(64), (Shape{64, 1, 28, 28}));
  EXPECT_EQ((Shape{64, 1, 28, 28}).drop_front(), (Shape{1, 28, 28}));
  EXPECT_EQ(Shape().with_batch(3), Shape{3});
  EXPECT_EQ(Shape{3}.drop_front(), Shape());
}

TEST(Shape, RefusesTooManyDimensionsAndNegativeExtents) {
  EXPECT_EQ(error_of([] { (void)Shape{1, 2, 3, 4, 5, 6, 7}; }), "tensor rank 7 exceeds the maximum of 6");
  EXPECT_EQ(error_of([] { (void)Shape(std::vector<int64_t>(7, 1)); }),
            "tensor rank 7 exceeds the maximum of 6");
  EXPECT_EQ(error_of([] { (void)Shape{2, -1}; }), "negative extent -1 in a shape");
  EXPECT_NE(error_of([] {
              (void)Shape{1, 2, 3, 4, 5, 6}.with_batch(2);
            }).find("cannot add a batch dimension to [1, 2, 3, 4, 5, 6]"),
            std::string::npos);
  EXPECT_EQ(internal_error_of([] { (void)Shape().drop_front(); }),
            internal("cannot drop the first dimension of a scalar shape", "src/tensor/shape.cpp"));
  EXPECT_EQ((Shape{1, 2, 3, 4, 5, 6}.rank()), Shape::kMaxRank);
}

TEST(Tensor, RowsIsAViewOfConsecutiveRows) {
  std::vector<float> store(12);
  std::iota(store.begin(), store.end(), 0.0f);
  const Tensor t(store.data(), Shape{4, 3});
  EXPECT_EQ(t.numel(), 12);
  EXPECT_EQ(t.dim(1), 3);
  EXPECT_FALSE(t.empty());
  const Tensor r = t.rows(1, 2);
  EXPECT_EQ(r.shape(), (Shape{2, 3}));
  EXPECT_EQ(r.data(), store.data() + 3);
  EXPECT_EQ(r[0], 3.0f);
  EXPECT_EQ(r[5], 8.0f);
  r[1] = -1.0f;  // writes go to the storage
  EXPECT_EQ(store[4], -1.0f);
  EXPECT_EQ(r.span().size(), 6u);
  EXPECT_EQ(t.rows(4, 0).shape(), (Shape{0, 3}));
  // Rows of a rank-3 tensor are whole [3, 2] blocks.
  const Tensor c(store.data(), Shape{2, 3, 2});
  EXPECT_EQ(c.rows(1, 1).data(), store.data() + 6);
  EXPECT_EQ(c.rows(1, 1).shape(), (Shape{1, 3, 2}));
}

TEST(Tensor, RowsOutOfRangeIsAnError) {
  std::vector<float> store(12);
  const Tensor t(store.data(), Shape{4, 3});
  EXPECT_EQ(internal_error_of([&] { (void)t.rows(3, 2); }),
            internal("rows [3, 5) out of range for a tensor of shape [4, 3]", "src/tensor/tensor.cpp"));
  EXPECT_EQ(internal_error_of([&] { (void)t.rows(-1, 1); }),
            internal("rows [-1, 0) out of range for a tensor of shape [4, 3]", "src/tensor/tensor.cpp"));
  EXPECT_NE(error_of([&] { (void)Tensor(store.data(), Shape()).rows(0, 1); }), "(no error)");
}

TEST(Tensor, ReshapedSeesTheSameFloats) {
  std::vector<float> store(12);
  std::iota(store.begin(), store.end(), 0.0f);
  const Tensor t(store.data(), Shape{4, 3});
  const Tensor u = t.reshaped(Shape{2, 6});
  EXPECT_EQ(u.data(), t.data());
  EXPECT_EQ(u.shape(), (Shape{2, 6}));
  EXPECT_EQ(u.rows(1, 1)[0], 6.0f);
  EXPECT_EQ(internal_error_of([&] { (void)t.reshaped(Shape{5}); }),
            internal("cannot view a tensor of shape [4, 3] as [5]", "src/tensor/tensor.cpp"));
  EXPECT_TRUE(Tensor().empty());
}

TEST(Buffer, AlignedZeroedGrowsOnlyWhenNeededAndViews) {
  Buffer b(10);
  ASSERT_NE(b.data(), nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b.data()) % 64, 0u);
  EXPECT_EQ(b.size(), 10u);
  for (size_t i = 0; i < 10; ++i) EXPECT_EQ(b.data()[i], 0.0f);
  b.fill(2.5f);
  float* const p = b.data();
  b.resize(4);  // shrinking keeps the storage
  EXPECT_EQ(b.data(), p);
  EXPECT_EQ(b.size(), 4u);
  b.resize(10);  // back within the capacity: no reallocation
  EXPECT_EQ(b.data(), p);
  EXPECT_EQ(b.data()[9], 2.5f);
  b.resize(1000);  // a reallocation zeroes the contents
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b.data()) % 64, 0u);
  for (size_t i = 0; i < 1000; ++i) ASSERT_EQ(b.data()[i], 0.0f) << i;
  const Tensor v = b.view(Shape{2, 5}, 990);
  EXPECT_EQ(v.data(), b.data() + 990);
  EXPECT_EQ(
      internal_error_of([&] {
        (void)b.view(Shape{2, 5}, 991);
      }),
      internal("view of [2, 5] at offset 991 exceeds a buffer of 1000 floats", "src/tensor/tensor.cpp"));
}

}  // namespace
}  // namespace tandem
