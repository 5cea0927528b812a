// The loop the unary family's float functions share (private to kernels/cpu/unary*.cc).
#pragma once

#include <type_traits>

#include "kernels/cpu/loops.h"

namespace kiln::cpu {

// out = f(a) for the floating dtypes: f is called with float (float32, float16, bfloat16:
// half types compute in float) or double, so a generic lambda can pick vec:: for float and
// std:: for double.
template <typename F>
void floating_unary(const Tensor& out, const Tensor& a, const char* name, const F& f) {
  KILN_DISPATCH_FLOATING(out.dtype(), name, [&]<typename scalar_t>() {
    using M = opmath_t<scalar_t>;
    unary_kernel<scalar_t>(out, a, [&f](scalar_t x) { return scalar_t(f(M(x))); });
  });
}

template <typename T>
inline constexpr bool is_f32 = std::is_same_v<T, float>;

}  // namespace kiln::cpu
