#include "kernels/cpu/unary.h"

#include <cmath>

#include "kernels/cpu/loops.h"

namespace kiln::cpu {

void neg(const Tensor& out, const Tensor& a) {
  KILN_DISPATCH_NUMERIC(out.dtype(), "neg", [&]<typename scalar_t>() {
    using M = opmath_t<scalar_t>;
    unary_kernel<scalar_t>(out, a, [](scalar_t x) { return scalar_t(-M(x)); });
  });
}

void exp(const Tensor& out, const Tensor& a) {
  KILN_DISPATCH_FLOATING(out.dtype(), "exp", [&]<typename scalar_t>() {
    using M = opmath_t<scalar_t>;
    unary_kernel<scalar_t>(out, a, [](scalar_t x) { return scalar_t(std::exp(M(x))); });
  });
}

}  // namespace kiln::cpu
