#include "kernels/cpu/binary.h"

#include <cmath>
#include <type_traits>

#include "kernels/cpu/loops.h"

namespace kiln::cpu {

void add(const Tensor& out, const Tensor& a, const Tensor& b, const Scalar& alpha) {
  KILN_DISPATCH_ALL(out.dtype(), "add", [&]<typename scalar_t>() {
    using T = scalar_t;
    using M = opmath_t<T>;
    if constexpr (std::is_same_v<T, bool>) {
      binary_kernel<T>(out, a, b, [](T x, T y) { return bool(x || y); });
    } else if (alpha == Scalar(1)) {
      binary_kernel<T>(out, a, b, [](T x, T y) { return T(M(x) + M(y)); });
    } else {
      const M s = alpha.to<M>();
      binary_kernel<T>(out, a, b, [s](T x, T y) { return T(M(x) + s * M(y)); });
    }
  });
}

void sub(const Tensor& out, const Tensor& a, const Tensor& b, const Scalar& alpha) {
  KILN_DISPATCH_NUMERIC(out.dtype(), "sub", [&]<typename scalar_t>() {
    using T = scalar_t;
    using M = opmath_t<T>;
    const M s = alpha.to<M>();
    if (alpha == Scalar(1)) {
      binary_kernel<T>(out, a, b, [](T x, T y) { return T(M(x) - M(y)); });
    } else {
      binary_kernel<T>(out, a, b, [s](T x, T y) { return T(M(x) - s * M(y)); });
    }
  });
}

void mul(const Tensor& out, const Tensor& a, const Tensor& b) {
  KILN_DISPATCH_ALL(out.dtype(), "mul", [&]<typename scalar_t>() {
    using T = scalar_t;
    using M = opmath_t<T>;
    if constexpr (std::is_same_v<T, bool>) {
      binary_kernel<T>(out, a, b, [](T x, T y) { return bool(x && y); });
    } else {
      binary_kernel<T>(out, a, b, [](T x, T y) { return T(M(x) * M(y)); });
    }
  });
}

namespace {

// Python's floor division for floats: the floor of the exact quotient, with the sign rules
// of divmod (so -7 // 2 == -4 and 7 // -0.0 == -inf).
template <typename M>
M floor_div_float(M a, M b) {
  if (b == M(0)) return a / b;
  const M mod = std::fmod(a, b);
  M q = (a - mod) / b;
  if (mod != M(0) && ((b < M(0)) != (mod < M(0)))) q -= M(1);
  if (q == M(0)) return std::copysign(M(0), a / b);
  M f = std::floor(q);
  if (q - f > M(0.5)) f += M(1);
  return f;
}

// Integer quotient and remainder that never trap: the lowest value divided by -1 wraps
// (x86 raises SIGFPE for it, which would take the daemon down).
template <typename T>
T trunc_div_int(T a, T b) {
  if constexpr (std::is_signed_v<T>) {
    if (b == T(-1)) return T(std::make_unsigned_t<T>(0) - std::make_unsigned_t<T>(a));
  }
  return T(a / b);
}

template <typename T>
T trunc_mod_int(T a, T b) {
  if constexpr (std::is_signed_v<T>) {
    if (b == T(-1)) return T(0);
  }
  return T(a % b);
}

template <typename T>
T floor_div_int(T a, T b) {
  const T q = trunc_div_int(a, b);
  if constexpr (std::is_signed_v<T>) {
    if ((trunc_mod_int(a, b) != 0) && ((a < 0) != (b < 0))) return T(q - 1);
  }
  return q;
}

// Python's a % b: the result has b's sign.
template <typename T>
T floor_mod_int(T a, T b) {
  T r = trunc_mod_int(a, b);
  if constexpr (std::is_signed_v<T>) {
    if (r != 0 && ((r < 0) != (b < 0))) r = T(r + b);
  }
  return r;
}

template <typename M>
M floor_mod_float(M a, M b) {
  M r = std::fmod(a, b);
  if (r != M(0) && ((b < M(0)) != (r < M(0)))) r += b;
  return r;
}

template <typename T>
void check_no_int_zero(const Tensor& b) {
  // Integer division by zero is an error in PyTorch ("ZeroDivisionError"), not a crash.
  KILN_CHECK_VALUE(!any_of<T>(b, [](T v) { return v == T(0); }),
                   "ZeroDivisionError: integer division by zero");
}

}  // namespace

void div(const Tensor& out, const Tensor& a, const Tensor& b,
         const std::optional<std::string>& rounding_mode) {
  const std::string mode = rounding_mode.value_or("");
  KILN_CHECK_VALUE(mode.empty() || mode == "trunc" || mode == "floor",
                   "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '",
                   mode, "'");
  KILN_DISPATCH_NUMERIC(out.dtype(), "div", [&]<typename scalar_t>() {
    using T = scalar_t;
    using M = opmath_t<T>;
    if constexpr (std::is_integral_v<T>) {
      check_no_int_zero<T>(b);
      if (mode == "floor") {
        binary_kernel<T>(out, a, b, [](T x, T y) { return floor_div_int<T>(x, y); });
      } else {
        binary_kernel<T>(out, a, b, [](T x, T y) { return trunc_div_int<T>(x, y); });
      }
    } else if (mode == "trunc") {
      binary_kernel<T>(out, a, b, [](T x, T y) { return T(std::trunc(M(x) / M(y))); });
    } else if (mode == "floor") {
      binary_kernel<T>(out, a, b, [](T x, T y) { return T(floor_div_float<M>(M(x), M(y))); });
    } else {
      binary_kernel<T>(out, a, b, [](T x, T y) { return T(M(x) / M(y)); });
    }
  });
}

void remainder(const Tensor& out, const Tensor& a, const Tensor& b) {
  KILN_DISPATCH_NUMERIC(out.dtype(), "remainder", [&]<typename scalar_t>() {
    using T = scalar_t;
    using M = opmath_t<T>;
    if constexpr (std::is_integral_v<T>) {
      check_no_int_zero<T>(b);
      binary_kernel<T>(out, a, b, [](T x, T y) { return floor_mod_int<T>(x, y); });
    } else {
      binary_kernel<T>(out, a, b, [](T x, T y) { return T(floor_mod_float<M>(M(x), M(y))); });
    }
  });
}

void fmod(const Tensor& out, const Tensor& a, const Tensor& b) {
  KILN_DISPATCH_NUMERIC(out.dtype(), "fmod", [&]<typename scalar_t>() {
    using T = scalar_t;
    using M = opmath_t<T>;
    if constexpr (std::is_integral_v<T>) {
      check_no_int_zero<T>(b);
      binary_kernel<T>(out, a, b, [](T x, T y) { return trunc_mod_int<T>(x, y); });
    } else {
      binary_kernel<T>(out, a, b, [](T x, T y) { return T(std::fmod(M(x), M(y))); });
    }
  });
}

void floor_divide(const Tensor& out, const Tensor& a, const Tensor& b) {
  div(out, a, b, std::string("floor"));
}

}  // namespace kiln::cpu
