// Binary math functions on floats: atan2, xlogy, hypot, copysign.
#include <cmath>

#include "kernels/cpu/binary.h"
#include "kernels/cpu/loops.h"

namespace kiln::cpu {

void atan2(const Tensor& out, const Tensor& a, const Tensor& b) {
  KILN_DISPATCH_FLOATING(out.dtype(), "atan2", [&]<typename scalar_t>() {
    using T = scalar_t;
    using M = opmath_t<T>;
    binary_kernel<T>(out, a, b, [](T y, T x) { return T(std::atan2(M(y), M(x))); });
  });
}

void xlogy(const Tensor& out, const Tensor& a, const Tensor& b) {
  KILN_DISPATCH_FLOATING(out.dtype(), "xlogy", [&]<typename scalar_t>() {
    using T = scalar_t;
    using M = opmath_t<T>;
    binary_kernel<T>(out, a, b, [](T x, T y) {
      const M mx = M(x), my = M(y);
      if (my != my) return T(my);  // NaN in y wins even where x is 0
      if (mx == M(0)) return T(0);
      return T(mx * std::log(my));
    });
  });
}

void hypot(const Tensor& out, const Tensor& a, const Tensor& b) {
  KILN_DISPATCH_FLOATING(out.dtype(), "hypot", [&]<typename scalar_t>() {
    using T = scalar_t;
    using M = opmath_t<T>;
    binary_kernel<T>(out, a, b, [](T x, T y) { return T(std::hypot(M(x), M(y))); });
  });
}

void copysign(const Tensor& out, const Tensor& a, const Tensor& b) {
  KILN_DISPATCH_FLOATING(out.dtype(), "copysign", [&]<typename scalar_t>() {
    using T = scalar_t;
    using M = opmath_t<T>;
    binary_kernel<T>(out, a, b, [](T x, T y) { return T(std::copysign(M(x), M(y))); });
  });
}

}  // namespace kiln::cpu
