// Before any include: lets GCC if-convert vec_math.h's selects (see there).
#pragma GCC optimize("no-trapping-math")

#include "kernels/cpu/unary.h"

#include <cmath>

#include "kernels/cpu/loops.h"
#include "kernels/cpu/unary_loops.h"
#include "kernels/cpu/vec_math.h"

namespace kiln::cpu {

void neg(const Tensor& out, const Tensor& a) {
  KILN_DISPATCH_NUMERIC(out.dtype(), "neg", [&]<typename scalar_t>() {
    using M = opmath_t<scalar_t>;
    unary_kernel<scalar_t>(out, a, [](scalar_t x) { return scalar_t(-M(x)); });
  });
}

void exp(const Tensor& out, const Tensor& a) {
  floating_unary(out, a, "exp", []<typename M>(M x) {
    if constexpr (is_f32<M>) return vec::exp(x);
    else return std::exp(x);
  });
}

void expm1(const Tensor& out, const Tensor& a) {
  floating_unary(out, a, "expm1", []<typename M>(M x) { return std::expm1(x); });
}

void log(const Tensor& out, const Tensor& a) {
  floating_unary(out, a, "log", []<typename M>(M x) {
    if constexpr (is_f32<M>) return vec::log(x);
    else return std::log(x);
  });
}

void log1p(const Tensor& out, const Tensor& a) {
  floating_unary(out, a, "log1p", []<typename M>(M x) { return std::log1p(x); });
}

void log2(const Tensor& out, const Tensor& a) {
  floating_unary(out, a, "log2", []<typename M>(M x) { return std::log2(x); });
}

void log10(const Tensor& out, const Tensor& a) {
  floating_unary(out, a, "log10", []<typename M>(M x) { return std::log10(x); });
}

void sqrt(const Tensor& out, const Tensor& a) {
  floating_unary(out, a, "sqrt", []<typename M>(M x) { return std::sqrt(x); });
}

void rsqrt(const Tensor& out, const Tensor& a) {
  floating_unary(out, a, "rsqrt", []<typename M>(M x) { return M(1) / std::sqrt(x); });
}

void reciprocal(const Tensor& out, const Tensor& a) {
  floating_unary(out, a, "reciprocal", []<typename M>(M x) { return M(1) / x; });
}

void sin(const Tensor& out, const Tensor& a) {
  floating_unary(out, a, "sin", []<typename M>(M x) { return std::sin(x); });
}

void cos(const Tensor& out, const Tensor& a) {
  floating_unary(out, a, "cos", []<typename M>(M x) { return std::cos(x); });
}

void tan(const Tensor& out, const Tensor& a) {
  floating_unary(out, a, "tan", []<typename M>(M x) { return std::tan(x); });
}

void tanh(const Tensor& out, const Tensor& a) {
  floating_unary(out, a, "tanh", []<typename M>(M x) {
    if constexpr (is_f32<M>) return vec::tanh(x);
    else return std::tanh(x);
  });
}

void sigmoid(const Tensor& out, const Tensor& a) {
  floating_unary(out, a, "sigmoid", []<typename M>(M x) {
    if constexpr (is_f32<M>) return vec::sigmoid(x);
    else return M(1) / (M(1) + std::exp(-x));
  });
}

void erf(const Tensor& out, const Tensor& a) {
  floating_unary(out, a, "erf", []<typename M>(M x) {
    if constexpr (is_f32<M>) return vec::erf(x);
    else return std::erf(x);
  });
}

}  // namespace kiln::cpu
