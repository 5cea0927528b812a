// Comparisons (bool results, computed in the promoted input type) and elementwise extrema.
#include "kernels/cpu/binary.h"
#include "kernels/cpu/loops.h"

namespace kiln::cpu {

namespace {

// out (bool) = cmp(a, b), half types compared as float.
template <typename Cmp>
void compare(const Tensor& out, const Tensor& a, const Tensor& b, const char* name,
             const Cmp& cmp) {
  KILN_DISPATCH_ALL(a.dtype(), name, [&]<typename scalar_t>() {
    using T = scalar_t;
    using M = opmath_t<T>;
    binary_kernel<T, bool>(out, a, b, [&cmp](T x, T y) { return bool(cmp(M(x), M(y))); });
  });
}

}  // namespace

void eq(const Tensor& out, const Tensor& a, const Tensor& b) {
  compare(out, a, b, "eq", [](auto x, auto y) { return x == y; });
}
void ne(const Tensor& out, const Tensor& a, const Tensor& b) {
  compare(out, a, b, "ne", [](auto x, auto y) { return x != y; });
}
void lt(const Tensor& out, const Tensor& a, const Tensor& b) {
  compare(out, a, b, "lt", [](auto x, auto y) { return x < y; });
}
void le(const Tensor& out, const Tensor& a, const Tensor& b) {
  compare(out, a, b, "le", [](auto x, auto y) { return x <= y; });
}
void gt(const Tensor& out, const Tensor& a, const Tensor& b) {
  compare(out, a, b, "gt", [](auto x, auto y) { return x > y; });
}
void ge(const Tensor& out, const Tensor& a, const Tensor& b) {
  compare(out, a, b, "ge", [](auto x, auto y) { return x >= y; });
}

void maximum(const Tensor& out, const Tensor& a, const Tensor& b) {
  KILN_DISPATCH_ALL(out.dtype(), "maximum", [&]<typename scalar_t>() {
    using T = scalar_t;
    using M = opmath_t<T>;
    if constexpr (std::is_same_v<T, bool>) {
      binary_kernel<T>(out, a, b, [](T x, T y) { return bool(x || y); });
    } else if constexpr (std::is_integral_v<T>) {
      binary_kernel<T>(out, a, b, [](T x, T y) { return x > y ? x : y; });
    } else {
      // x wins when it is larger or NaN; otherwise y (which may be NaN).
      binary_kernel<T>(out, a, b, [](T x, T y) { return (M(x) > M(y) || M(x) != M(x)) ? x : y; });
    }
  });
}

void minimum(const Tensor& out, const Tensor& a, const Tensor& b) {
  KILN_DISPATCH_ALL(out.dtype(), "minimum", [&]<typename scalar_t>() {
    using T = scalar_t;
    using M = opmath_t<T>;
    if constexpr (std::is_same_v<T, bool>) {
      binary_kernel<T>(out, a, b, [](T x, T y) { return bool(x && y); });
    } else if constexpr (std::is_integral_v<T>) {
      binary_kernel<T>(out, a, b, [](T x, T y) { return x < y ? x : y; });
    } else {
      binary_kernel<T>(out, a, b, [](T x, T y) { return (M(x) < M(y) || M(x) != M(x)) ? x : y; });
    }
  });
}

void fmax(const Tensor& out, const Tensor& a, const Tensor& b) {
  KILN_DISPATCH_ALL(out.dtype(), "fmax", [&]<typename scalar_t>() {
    using T = scalar_t;
    using M = opmath_t<T>;
    if constexpr (std::is_same_v<T, bool>) {
      binary_kernel<T>(out, a, b, [](T x, T y) { return bool(x || y); });
    } else if constexpr (std::is_integral_v<T>) {
      binary_kernel<T>(out, a, b, [](T x, T y) { return x >= y ? x : y; });
    } else {
      // x wins when it is at least y or y is NaN (then x may be NaN too: both NaN).
      binary_kernel<T>(out, a, b, [](T x, T y) { return (M(x) >= M(y) || M(y) != M(y)) ? x : y; });
    }
  });
}

void fmin(const Tensor& out, const Tensor& a, const Tensor& b) {
  KILN_DISPATCH_ALL(out.dtype(), "fmin", [&]<typename scalar_t>() {
    using T = scalar_t;
    using M = opmath_t<T>;
    if constexpr (std::is_same_v<T, bool>) {
      binary_kernel<T>(out, a, b, [](T x, T y) { return bool(x && y); });
    } else if constexpr (std::is_integral_v<T>) {
      binary_kernel<T>(out, a, b, [](T x, T y) { return x <= y ? x : y; });
    } else {
      binary_kernel<T>(out, a, b, [](T x, T y) { return (M(x) <= M(y) || M(y) != M(y)) ? x : y; });
    }
  });
}

}  // namespace kiln::cpu
