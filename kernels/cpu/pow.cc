// pow: tensor ** tensor, tensor ** number, number ** tensor.
#include <cmath>
#include <type_traits>

#include "kernels/cpu/binary.h"
#include "kernels/cpu/loops.h"

namespace kiln::cpu {

namespace {

// Integer power by squaring, wrapping on overflow like PyTorch. A negative exponent gives
// 1 / base truncated: 1 for base 1, +-1 for base -1, else 0.
template <typename T>
T int_pow(T base, T exp) {
  if constexpr (std::is_signed_v<T>) {
    if (exp < 0) {
      if (base == 1) return T(1);
      if (base == -1) return (exp % 2 == 0) ? T(1) : T(-1);
      return T(0);
    }
  }
  using U = std::make_unsigned_t<T>;
  U result = 1, b = U(base);
  for (auto e = std::make_unsigned_t<T>(exp); e != 0; e >>= 1) {
    if (e & 1) result = U(result * b);
    b = U(b * b);
  }
  return T(result);
}

// x ** e for a float exponent known up front: the common exponents skip std::pow (faster,
// and exact for squares), as PyTorch does.
template <typename T, typename M>
void float_pow_scalar(const Tensor& out, const Tensor& base, M e) {
  if (e == M(2)) {
    unary_kernel<T>(out, base, [](T x) { return T(M(x) * M(x)); });
  } else if (e == M(3)) {
    unary_kernel<T>(out, base, [](T x) { return T(M(x) * M(x) * M(x)); });
  } else if (e == M(0.5)) {
    unary_kernel<T>(out, base, [](T x) { return T(std::sqrt(M(x))); });
  } else if (e == M(-0.5)) {
    unary_kernel<T>(out, base, [](T x) { return T(M(1) / std::sqrt(M(x))); });
  } else if (e == M(-1)) {
    unary_kernel<T>(out, base, [](T x) { return T(M(1) / M(x)); });
  } else if (e == M(-2)) {
    unary_kernel<T>(out, base, [](T x) { return T(M(1) / (M(x) * M(x))); });
  } else {
    unary_kernel<T>(out, base, [e](T x) { return T(std::pow(M(x), e)); });
  }
}

}  // namespace

void pow_tensor_tensor(const Tensor& out, const Tensor& base, const Tensor& exponent) {
  KILN_DISPATCH_NUMERIC(out.dtype(), "pow", [&]<typename scalar_t>() {
    using T = scalar_t;
    using M = opmath_t<T>;
    if constexpr (std::is_integral_v<T>) {
      binary_kernel<T>(out, base, exponent, [](T x, T y) { return int_pow<T>(x, y); });
    } else {
      binary_kernel<T>(out, base, exponent, [](T x, T y) { return T(std::pow(M(x), M(y))); });
    }
  });
}

void pow_tensor_scalar(const Tensor& out, const Tensor& base, const Scalar& exponent) {
  // The rule (pow_scalar_dtype) rejected negative integer exponents of integer tensors and
  // exponents that do not fit the compute dtype.
  KILN_DISPATCH_NUMERIC(out.dtype(), "pow", [&]<typename scalar_t>() {
    using T = scalar_t;
    using M = opmath_t<T>;
    if constexpr (std::is_integral_v<T>) {
      const T e = exponent.to<T>();
      if (e == 2) {
        unary_kernel<T>(out, base, [](T x) { return int_pow<T>(x, 2); });
      } else {
        unary_kernel<T>(out, base, [e](T x) { return int_pow<T>(x, e); });
      }
    } else if constexpr (std::is_same_v<T, double>) {
      float_pow_scalar<T, double>(out, base, exponent.to<double>());
    } else {
      float_pow_scalar<T, M>(out, base, exponent.to<M>());
    }
  });
}

void pow_scalar(const Tensor& out, const Scalar& base, const Tensor& exponent) {
  KILN_DISPATCH_NUMERIC(out.dtype(), "pow", [&]<typename scalar_t>() {
    using T = scalar_t;
    using M = opmath_t<T>;
    if constexpr (std::is_integral_v<T>) {
      const T b = base.to<T>();
      unary_kernel<T>(out, exponent, [b](T y) { return int_pow<T>(b, y); });
    } else {
      const M b = base.to<M>();
      unary_kernel<T>(out, exponent, [b](T y) { return T(std::pow(b, M(y))); });
    }
  });
}

}  // namespace kiln::cpu
