// gather and the scatters: element-wise picks and writes along one dim, steered by an
// int64 index shaped like the output (gather) or the source (scatter).
//
// Both walk "lines": the positions of index along dim, for each coordinate of the other
// dims. A line reads and writes only entries with its own coordinates off dim, so lines run
// in parallel and each line writes in index order (duplicates: last write wins, or they
// accumulate in order); results do not depend on the thread count.
#include <array>

#include "kernels/cpu/index.h"
#include "kernels/cpu/index_common.h"
#include "kernels/cpu/loops.h"

namespace kiln::cpu {

using index_detail::contiguous_as;

namespace {

// Sizes and strides (elements) with 0-d tensors as 1-d of size 1.
Shape sizes_of(const Tensor& t) { return t.dim() == 0 ? Shape{1} : t.sizes(); }
Shape strides_of(const Tensor& t) { return t.dim() == 0 ? Shape{1} : t.strides(); }

// Calls fn(offsets) for each line: offsets[i] is the element offset of the line's start in
// operand i (strides[i]), over `shape` with dim d held at 0.
template <size_t N, typename F>
void for_each_line(const Shape& shape, int64_t d, const std::array<Shape, N>& strides,
                   const F& fn) {
  const int64_t nd = static_cast<int64_t>(shape.size());
  int64_t lines = 1;
  for (int64_t k = 0; k < nd; ++k) lines *= k == d ? 1 : shape[k];
  if (lines == 0 || shape[d] == 0) return;
  const int64_t grain = std::max<int64_t>(1, kGrain / shape[d]);
  parallel_for(0, lines, grain, [&](int64_t lo, int64_t hi) {
    Shape coord(nd, 0);
    int64_t rem = lo;
    for (int64_t k = nd - 1; k >= 0; --k) {
      if (k == d) continue;
      coord[k] = rem % shape[k];
      rem /= shape[k];
    }
    for (int64_t line = lo; line < hi; ++line) {
      std::array<int64_t, N> off{};
      for (size_t i = 0; i < N; ++i) {
        for (int64_t k = 0; k < nd; ++k) off[i] += coord[k] * strides[i][k];
      }
      fn(off);
      for (int64_t k = nd - 1; k >= 0; --k) {
        if (k == d) continue;
        if (++coord[k] < shape[k]) break;
        coord[k] = 0;
      }
    }
  });
}

// The index as contiguous int64, every entry checked to lie in [0, size).
Tensor checked_index(const char* op, const Tensor& index, int64_t d, int64_t size) {
  Tensor idx = contiguous_as(index, DType::kInt64);
  const int64_t* p = idx.data_ptr<int64_t>();
  const int64_t bad = index_detail::first_outside(p, idx.numel(), 0, size);
  KILN_CHECK_INDEX(bad < 0, op, ": index ", bad < 0 ? 0 : p[bad],
                   " is out of bounds for dimension ", d, " with size ", size);
  return idx;
}

enum class Combine { kSet, kAdd, kMultiply };

Combine combine_of(const std::string& reduce) {
  return reduce == "add" ? Combine::kAdd : Combine::kMultiply;
}

template <typename T>
inline T combine(Combine how, T old, T v) {
  using acc_t = opmath_t<T>;
  if constexpr (std::is_same_v<T, bool>) {
    return how == Combine::kSet ? v : how == Combine::kAdd ? (old || v) : (old && v);
  } else {
    switch (how) {
      case Combine::kSet:
        return v;
      case Combine::kAdd:
        return T(acc_t(old) + acc_t(v));
      default:
        return T(acc_t(old) * acc_t(v));
    }
  }
}

// out = self, then out[.., index[.., k, ..], ..] combined with src[.., k, ..] (or value).
void scatter_impl(const char* op, const Tensor& out, const Tensor& self, int64_t dim,
                  const Tensor& index, const Tensor* src, const Scalar* value, Combine how) {
  const int64_t d = self.dim() == 0 ? 0 : wrap_dim(dim, self.dim());
  const Tensor idx = checked_index(op, index, d, sizes_of(self)[d]);
  index_detail::copy_if_distinct(out, self);
  if (idx.numel() == 0) return;
  const Shape shape = sizes_of(idx);
  const Shape so = strides_of(out), si = strides_of(idx);
  const Shape ss = src ? strides_of(*src) : Shape(shape.size(), 0);
  const int64_t len = shape[d];
  KILN_DISPATCH_ALL(out.dtype(), op, [&]<typename T>() {
    T* o = static_cast<T*>(out.raw_data());
    const int64_t* ix = idx.data_ptr<int64_t>();
    const T* s = src ? static_cast<const T*>(src->raw_data()) : nullptr;
    const T v = value ? T(value->to<opmath_t<T>>()) : T();
    for_each_line<3>(shape, d, {so, si, ss}, [&](const std::array<int64_t, 3>& off) {
      for (int64_t k = 0; k < len; ++k) {
        T* slot = o + off[0] + ix[off[1] + k * si[d]] * so[d];
        *slot = combine(how, *slot, s ? s[off[2] + k * ss[d]] : v);
      }
    });
  });
}

}  // namespace

// out[.., k, ..] = self[.., index[.., k, ..], ..] along dim; out shaped like index.
void gather(const Tensor& out, const Tensor& self, int64_t dim, const Tensor& index, bool) {
  const int64_t d = self.dim() == 0 ? 0 : wrap_dim(dim, self.dim());
  const Tensor idx = checked_index("gather", index, d, sizes_of(self)[d]);
  if (idx.numel() == 0) return;
  const Shape shape = sizes_of(idx);
  const Shape so = strides_of(out), si = strides_of(idx), ss = strides_of(self);
  const int64_t len = shape[d];
  KILN_DISPATCH_ALL(out.dtype(), "gather", [&]<typename T>() {
    T* o = static_cast<T*>(out.raw_data());
    const T* s = static_cast<const T*>(self.raw_data());
    const int64_t* ix = idx.data_ptr<int64_t>();
    for_each_line<3>(shape, d, {so, si, ss}, [&](const std::array<int64_t, 3>& off) {
      for (int64_t k = 0; k < len; ++k) {
        o[off[0] + k * so[d]] = s[off[2] + ix[off[1] + k * si[d]] * ss[d]];
      }
    });
  });
}

void scatter_src(const Tensor& out, const Tensor& self, int64_t dim, const Tensor& index,
                 const Tensor& src) {
  scatter_impl("scatter", out, self, dim, index, &src, nullptr, Combine::kSet);
}

void scatter_value(const Tensor& out, const Tensor& self, int64_t dim, const Tensor& index,
                   const Scalar& value) {
  scatter_impl("scatter", out, self, dim, index, nullptr, &value, Combine::kSet);
}

void scatter_reduce(const Tensor& out, const Tensor& self, int64_t dim, const Tensor& index,
                    const Tensor& src, const std::string& reduce) {
  scatter_impl("scatter", out, self, dim, index, &src, nullptr, combine_of(reduce));
}

void scatter_value_reduce(const Tensor& out, const Tensor& self, int64_t dim, const Tensor& index,
                          const Scalar& value, const std::string& reduce) {
  scatter_impl("scatter", out, self, dim, index, nullptr, &value, combine_of(reduce));
}

void scatter_add(const Tensor& out, const Tensor& self, int64_t dim, const Tensor& index,
                 const Tensor& src) {
  scatter_impl("scatter_add", out, self, dim, index, &src, nullptr, Combine::kAdd);
}

}  // namespace kiln::cpu
