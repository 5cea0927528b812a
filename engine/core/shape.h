// Shapes and strides: lists of int64, printed like PyTorch's `[2, 3]`.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <ostream>
#include <vector>

namespace kiln {

using Shape = std::vector<int64_t>;

// A non-owning view of int64s (c10::ArrayRef's role): accepts a Shape, a braced list
// `{2, 3}` (valid for the full expression only), or pointer + length.
class IntList {
 public:
  constexpr IntList() = default;
  IntList(const std::vector<int64_t>& v) : data_(v.data()), size_(v.size()) {}  // NOLINT
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winit-list-lifetime"
  constexpr IntList(std::initializer_list<int64_t> l)  // NOLINT
      : data_(l.begin()), size_(l.size()) {}
#pragma GCC diagnostic pop
  constexpr IntList(const int64_t* data, size_t size) : data_(data), size_(size) {}

  constexpr const int64_t* data() const { return data_; }
  constexpr size_t size() const { return size_; }
  constexpr bool empty() const { return size_ == 0; }
  constexpr const int64_t* begin() const { return data_; }
  constexpr const int64_t* end() const { return data_ + size_; }
  constexpr int64_t operator[](size_t i) const { return data_[i]; }
  constexpr int64_t front() const { return data_[0]; }
  constexpr int64_t back() const { return data_[size_ - 1]; }
  Shape vec() const { return Shape(begin(), end()); }
  bool operator==(IntList o) const {
    if (size_ != o.size_) return false;
    for (size_t i = 0; i < size_; ++i) {
      if (data_[i] != o.data_[i]) return false;
    }
    return true;
  }

 private:
  const int64_t* data_ = nullptr;
  size_t size_ = 0;
};

struct ShapeStr {
  IntList v;
};
std::ostream& operator<<(std::ostream& os, ShapeStr s);
inline ShapeStr shape_str(IntList v) { return {v}; }
std::ostream& operator<<(std::ostream& os, const Shape& s);

// Product of sizes; throws (naming `what`) when a size is negative or the product overflows.
int64_t checked_numel(IntList sizes, const char* what);
inline int64_t numel_of(IntList sizes) {
  int64_t n = 1;
  for (int64_t s : sizes) n *= s;
  return n;
}

// Row-major (C-contiguous) strides for `sizes`.
Shape contiguous_strides(IntList sizes);

// Wraps a possibly negative dim into [0, ndim); throws IndexError like PyTorch:
// "Dimension out of range (expected to be in range of [-2, 1], but got 2)".
int64_t wrap_dim(int64_t dim, int64_t ndim);
// Same, for the insertion point of unsqueeze (range [-ndim-1, ndim]).
inline int64_t wrap_dim_inclusive(int64_t dim, int64_t ndim) { return wrap_dim(dim, ndim + 1); }

// The dims a reduction over `dims` covers among `ndim`: wrapped, sorted, checked for repeats;
// every dim when `dims` is None or empty.
std::vector<int64_t> reduce_dims(const char* op, int64_t ndim, const std::optional<Shape>& dims);

// Broadcasts two shapes with NumPy's rules; throws naming `op` when they do not broadcast.
Shape broadcast_shapes(const char* op, IntList a, IntList b);

}  // namespace kiln
