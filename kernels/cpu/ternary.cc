// Elementwise ops of three tensors: where, lerp, addcmul, addcdiv.
#include <cmath>
#include <cstdint>

#include "kernels/cpu/binary.h"
#include "kernels/cpu/loops.h"

namespace kiln::cpu {

namespace {

// PyTorch's two-sided lerp: exact at weight 0 and 1, and monotonic.
template <typename M>
inline M lerp_value(M self, M end, M w) {
  return std::abs(w) < M(0.5) ? self + w * (end - self) : end - (end - self) * (M(1) - w);
}

}  // namespace

void where(const Tensor& out, const Tensor& condition, const Tensor& a, const Tensor& b) {
  // out (N...), condition/a/b broadcast to N...
  KILN_DISPATCH_ALL(out.dtype(), "where", [&]<typename scalar_t>() {
    using T = scalar_t;
    if (condition.dtype() == DType::kBool) {
      cpu_kernel_typed<T, bool, T, T>(out, {&condition, &a, &b},
                                      [](bool c, T x, T y) { return c ? x : y; });
    } else {
      // uint8 condition (deprecated in PyTorch 1.13, still accepted): nonzero is true.
      cpu_kernel_typed<T, uint8_t, T, T>(out, {&condition, &a, &b},
                                         [](uint8_t c, T x, T y) { return c != 0 ? x : y; });
    }
  });
}

void lerp_scalar(const Tensor& out, const Tensor& self, const Tensor& end, const Scalar& weight) {
  KILN_DISPATCH_FLOATING(out.dtype(), "lerp", [&]<typename scalar_t>() {
    using T = scalar_t;
    using M = opmath_t<T>;
    const M w = weight.to<M>();
    binary_kernel<T>(out, self, end, [w](T x, T y) { return T(lerp_value<M>(M(x), M(y), w)); });
  });
}

void lerp_tensor(const Tensor& out, const Tensor& self, const Tensor& end, const Tensor& weight) {
  KILN_DISPATCH_FLOATING(out.dtype(), "lerp", [&]<typename scalar_t>() {
    using T = scalar_t;
    using M = opmath_t<T>;
    ternary_kernel<T>(out, self, end, weight,
                      [](T x, T y, T w) { return T(lerp_value<M>(M(x), M(y), M(w))); });
  });
}

void addcmul(const Tensor& out, const Tensor& self, const Tensor& t1, const Tensor& t2,
             const Scalar& value) {
  KILN_DISPATCH_NUMERIC(out.dtype(), "addcmul", [&]<typename scalar_t>() {
    using T = scalar_t;
    using M = opmath_t<T>;
    const M v = value.to<M>();
    if (value == Scalar(1)) {
      ternary_kernel<T>(out, self, t1, t2, [](T x, T y, T z) { return T(M(x) + M(y) * M(z)); });
    } else {
      ternary_kernel<T>(out, self, t1, t2,
                        [v](T x, T y, T z) { return T(M(x) + v * M(y) * M(z)); });
    }
  });
}

void addcdiv(const Tensor& out, const Tensor& self, const Tensor& t1, const Tensor& t2,
             const Scalar& value) {
  KILN_DISPATCH_FLOATING(out.dtype(), "addcdiv", [&]<typename scalar_t>() {
    using T = scalar_t;
    using M = opmath_t<T>;
    const M v = value.to<M>();
    ternary_kernel<T>(out, self, t1, t2, [v](T x, T y, T z) { return T(M(x) + v * M(y) / M(z)); });
  });
}

}  // namespace kiln::cpu
