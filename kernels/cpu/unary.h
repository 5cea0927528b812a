// Elementwise kernels of one tensor. The input arrives cast to the op's compute dtype (the
// Scalars and the truth tests' input excepted); out arrives allocated with the op's result
// dtype (bool for logical_not and the is* tests).
//
//   unary.cc             neg exp and the float functions (log, sqrt, sin, tanh, erf, ...)
//   unary_misc.cc        abs sign square rounding clamp* logical_not is* nan_to_num
//   unary_activation.cc  relu gelu silu leaky_relu elu softplus hardtanh relu6 log_sigmoid
//                        mish hardswish hardsigmoid
//
// float32 math goes through kernels/cpu/vec_math.h where the bench cares (exp, log, tanh,
// sigmoid, erf and the activations built on them), so those loops vectorize.
#pragma once

#include <optional>
#include <string>

#include "engine/core/tensor.h"

namespace kiln::cpu {

void neg(const Tensor& out, const Tensor& a);
void exp(const Tensor& out, const Tensor& a);
void expm1(const Tensor& out, const Tensor& a);
void log(const Tensor& out, const Tensor& a);
void log1p(const Tensor& out, const Tensor& a);
void log2(const Tensor& out, const Tensor& a);
void log10(const Tensor& out, const Tensor& a);
void sqrt(const Tensor& out, const Tensor& a);
void rsqrt(const Tensor& out, const Tensor& a);
void reciprocal(const Tensor& out, const Tensor& a);
void sin(const Tensor& out, const Tensor& a);
void cos(const Tensor& out, const Tensor& a);
void tan(const Tensor& out, const Tensor& a);
void tanh(const Tensor& out, const Tensor& a);
void sigmoid(const Tensor& out, const Tensor& a);
void erf(const Tensor& out, const Tensor& a);

// Integers keep their type: abs of the most negative value wraps to itself.
void abs(const Tensor& out, const Tensor& a);
void sign(const Tensor& out, const Tensor& a);
void square(const Tensor& out, const Tensor& a);
void floor(const Tensor& out, const Tensor& a);
void ceil(const Tensor& out, const Tensor& a);
void round(const Tensor& out, const Tensor& a);
void trunc(const Tensor& out, const Tensor& a);
// NaN in self or in a bound gives NaN; min > max gives max.
void clamp(const Tensor& out, const Tensor& a, const std::optional<Scalar>& min,
           const std::optional<Scalar>& max);
// min / max undefined or broadcastable to out.
void clamp_tensor(const Tensor& out, const Tensor& a, const Tensor& min, const Tensor& max);
void clamp_min(const Tensor& out, const Tensor& a, const Scalar& min);
void clamp_max(const Tensor& out, const Tensor& a, const Scalar& max);
// a of any dtype, out bool.
void logical_not(const Tensor& out, const Tensor& a);
void isnan(const Tensor& out, const Tensor& a);
void isinf(const Tensor& out, const Tensor& a);
void isfinite(const Tensor& out, const Tensor& a);
void nan_to_num(const Tensor& out, const Tensor& a, std::optional<double> nan,
                std::optional<double> posinf, std::optional<double> neginf);

void relu(const Tensor& out, const Tensor& a);
void gelu(const Tensor& out, const Tensor& a, const std::string& approximate);
void silu(const Tensor& out, const Tensor& a);
void leaky_relu(const Tensor& out, const Tensor& a, const Scalar& negative_slope);
void elu(const Tensor& out, const Tensor& a, const Scalar& alpha, const Scalar& scale,
         const Scalar& input_scale);
void softplus(const Tensor& out, const Tensor& a, const Scalar& beta, const Scalar& threshold);
void hardtanh(const Tensor& out, const Tensor& a, const Scalar& min_val, const Scalar& max_val);
void relu6(const Tensor& out, const Tensor& a);
void log_sigmoid(const Tensor& out, const Tensor& a);
void mish(const Tensor& out, const Tensor& a);
void hardswish(const Tensor& out, const Tensor& a);
void hardsigmoid(const Tensor& out, const Tensor& a);

}  // namespace kiln::cpu
