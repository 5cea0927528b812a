// C++ operators on tensors (recorded for backward), so formulas and user code read like math:
// grad * other, -grad, x + 2.
#pragma once

#include "engine/autograd/functions.h"

namespace kiln {

inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator-(const Tensor& a) { return neg(a); }

inline Tensor operator+(const Tensor& a, const Scalar& b) { return add(a, wrapped_scalar(b)); }
inline Tensor operator-(const Tensor& a, const Scalar& b) { return sub(a, wrapped_scalar(b)); }
inline Tensor operator*(const Tensor& a, const Scalar& b) { return mul(a, wrapped_scalar(b)); }
inline Tensor operator/(const Tensor& a, const Scalar& b) { return div(a, wrapped_scalar(b)); }
inline Tensor operator+(const Scalar& a, const Tensor& b) { return add(wrapped_scalar(a), b); }
inline Tensor operator-(const Scalar& a, const Tensor& b) { return sub(wrapped_scalar(a), b); }
inline Tensor operator*(const Scalar& a, const Tensor& b) { return mul(wrapped_scalar(a), b); }
inline Tensor operator/(const Scalar& a, const Tensor& b) { return div(wrapped_scalar(a), b); }

}  // namespace kiln
