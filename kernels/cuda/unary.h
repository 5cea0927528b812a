// Elementwise kernels of one tensor on CUDA (kernels/cuda/unary*.cu). Same contracts as
// kernels/cpu/unary.h: the input arrives cast to the op's compute dtype (the truth tests'
// excepted), out arrives allocated with the result dtype.
#pragma once

#include <optional>
#include <string>

#include "engine/core/tensor.h"

namespace kiln::cuda {

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
void abs(const Tensor& out, const Tensor& a);
void sign(const Tensor& out, const Tensor& a);
void square(const Tensor& out, const Tensor& a);
void floor(const Tensor& out, const Tensor& a);
void ceil(const Tensor& out, const Tensor& a);
void round(const Tensor& out, const Tensor& a);
void trunc(const Tensor& out, const Tensor& a);
void clamp(const Tensor& out, const Tensor& a, const std::optional<Scalar>& min,
           const std::optional<Scalar>& max);
void clamp_tensor(const Tensor& out, const Tensor& a, const Tensor& min, const Tensor& max);
void clamp_min(const Tensor& out, const Tensor& a, const Scalar& min);
void clamp_max(const Tensor& out, const Tensor& a, const Scalar& max);
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

}  // namespace kiln::cuda
