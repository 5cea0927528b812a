// Elementwise kernels of two or more tensors on CUDA (kernels/cuda/binary.cu, compare.cu,
// ternary.cu). Same contracts as kernels/cpu/binary.h: inputs arrive cast to the op's
// compute dtype (where's condition and Scalars excepted) and broadcastable to out.
#pragma once

#include <optional>
#include <string>

#include "engine/core/tensor.h"

namespace kiln::cuda {

void add(const Tensor& out, const Tensor& a, const Tensor& b, const Scalar& alpha);
void sub(const Tensor& out, const Tensor& a, const Tensor& b, const Scalar& alpha);
void mul(const Tensor& out, const Tensor& a, const Tensor& b);
void div(const Tensor& out, const Tensor& a, const Tensor& b,
         const std::optional<std::string>& rounding_mode);
void remainder(const Tensor& out, const Tensor& a, const Tensor& b);
void fmod(const Tensor& out, const Tensor& a, const Tensor& b);
void floor_divide(const Tensor& out, const Tensor& a, const Tensor& b);
void pow_tensor_tensor(const Tensor& out, const Tensor& base, const Tensor& exponent);
void pow_tensor_scalar(const Tensor& out, const Tensor& base, const Scalar& exponent);
void pow_scalar(const Tensor& out, const Scalar& base, const Tensor& exponent);
void eq(const Tensor& out, const Tensor& a, const Tensor& b);
void ne(const Tensor& out, const Tensor& a, const Tensor& b);
void lt(const Tensor& out, const Tensor& a, const Tensor& b);
void le(const Tensor& out, const Tensor& a, const Tensor& b);
void gt(const Tensor& out, const Tensor& a, const Tensor& b);
void ge(const Tensor& out, const Tensor& a, const Tensor& b);
void maximum(const Tensor& out, const Tensor& a, const Tensor& b);
void minimum(const Tensor& out, const Tensor& a, const Tensor& b);
void fmax(const Tensor& out, const Tensor& a, const Tensor& b);
void fmin(const Tensor& out, const Tensor& a, const Tensor& b);
void logical_and(const Tensor& out, const Tensor& a, const Tensor& b);
void logical_or(const Tensor& out, const Tensor& a, const Tensor& b);
void logical_xor(const Tensor& out, const Tensor& a, const Tensor& b);
void bitwise_and(const Tensor& out, const Tensor& a, const Tensor& b);
void bitwise_or(const Tensor& out, const Tensor& a, const Tensor& b);
void bitwise_xor(const Tensor& out, const Tensor& a, const Tensor& b);
void bitwise_left_shift(const Tensor& out, const Tensor& a, const Tensor& b);
void bitwise_right_shift(const Tensor& out, const Tensor& a, const Tensor& b);
void where(const Tensor& out, const Tensor& condition, const Tensor& a, const Tensor& b);
void lerp_scalar(const Tensor& out, const Tensor& self, const Tensor& end, const Scalar& weight);
void lerp_tensor(const Tensor& out, const Tensor& self, const Tensor& end, const Tensor& weight);
void addcmul(const Tensor& out, const Tensor& self, const Tensor& t1, const Tensor& t2,
             const Scalar& value);
void addcdiv(const Tensor& out, const Tensor& self, const Tensor& t1, const Tensor& t2,
             const Scalar& value);
void atan2(const Tensor& out, const Tensor& a, const Tensor& b);
void xlogy(const Tensor& out, const Tensor& a, const Tensor& b);
void hypot(const Tensor& out, const Tensor& a, const Tensor& b);
void copysign(const Tensor& out, const Tensor& a, const Tensor& b);

}  // namespace kiln::cuda
