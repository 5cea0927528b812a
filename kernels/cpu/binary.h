// Elementwise kernels of two or more tensors. Inputs arrive already cast to the op's compute
// dtype (where's condition and the Scalars excepted) and broadcastable to out's shape; out
// arrives allocated with the op's result dtype (bool for comparisons and logical ops).
//
//   binary.cc       add sub mul div remainder fmod floor_divide
//   pow.cc          pow (tensor ** tensor, tensor ** number, number ** tensor)
//   compare.cc      eq ne lt le gt ge maximum minimum fmax fmin
//   bitwise.cc      logical_* bitwise_* shifts
//   ternary.cc      where lerp addcmul addcdiv
//   binary_math.cc  atan2 xlogy hypot copysign
#pragma once

#include <optional>
#include <string>

#include "engine/core/tensor.h"

namespace kiln::cpu {

void add(const Tensor& out, const Tensor& a, const Tensor& b, const Scalar& alpha);
void sub(const Tensor& out, const Tensor& a, const Tensor& b, const Scalar& alpha);
void mul(const Tensor& out, const Tensor& a, const Tensor& b);
void div(const Tensor& out, const Tensor& a, const Tensor& b,
         const std::optional<std::string>& rounding_mode);
// Integer division by zero throws (ZeroDivisionError), as PyTorch does.
void remainder(const Tensor& out, const Tensor& a, const Tensor& b);
void fmod(const Tensor& out, const Tensor& a, const Tensor& b);
void floor_divide(const Tensor& out, const Tensor& a, const Tensor& b);

void pow_tensor_tensor(const Tensor& out, const Tensor& base, const Tensor& exponent);
void pow_tensor_scalar(const Tensor& out, const Tensor& base, const Scalar& exponent);
void pow_scalar(const Tensor& out, const Scalar& base, const Tensor& exponent);

// out bool.
void eq(const Tensor& out, const Tensor& a, const Tensor& b);
void ne(const Tensor& out, const Tensor& a, const Tensor& b);
void lt(const Tensor& out, const Tensor& a, const Tensor& b);
void le(const Tensor& out, const Tensor& a, const Tensor& b);
void gt(const Tensor& out, const Tensor& a, const Tensor& b);
void ge(const Tensor& out, const Tensor& a, const Tensor& b);
// NaN propagates.
void maximum(const Tensor& out, const Tensor& a, const Tensor& b);
void minimum(const Tensor& out, const Tensor& a, const Tensor& b);
// NaN only where both are NaN.
void fmax(const Tensor& out, const Tensor& a, const Tensor& b);
void fmin(const Tensor& out, const Tensor& a, const Tensor& b);

// a, b, out bool.
void logical_and(const Tensor& out, const Tensor& a, const Tensor& b);
void logical_or(const Tensor& out, const Tensor& a, const Tensor& b);
void logical_xor(const Tensor& out, const Tensor& a, const Tensor& b);
// Integers and bool (shifts: integers).
void bitwise_and(const Tensor& out, const Tensor& a, const Tensor& b);
void bitwise_or(const Tensor& out, const Tensor& a, const Tensor& b);
void bitwise_xor(const Tensor& out, const Tensor& a, const Tensor& b);
void bitwise_left_shift(const Tensor& out, const Tensor& a, const Tensor& b);
void bitwise_right_shift(const Tensor& out, const Tensor& a, const Tensor& b);

// condition bool or uint8 (nonzero is true), a and b of out's dtype.
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

}  // namespace kiln::cpu
