// Helpers the table's gradient formulas call. Written with kiln:: ops, so they run on every
// backend and are themselves differentiable (double backward).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/core/tensor.h"

namespace kiln {

// Can `shape` broadcast to `desired`?
bool is_expandable_to(IntList shape, IntList desired);
// Sums `t` down to `shape` (undoes broadcasting); `t` itself when already that shape.
Tensor sum_to(const Tensor& t, IntList shape);
// `t` as `dtype` (itself when it already is).
Tensor cast_to(const Tensor& t, DType dtype);
// grad * alpha, skipping the multiply when alpha is 1.
Tensor maybe_multiply(const Tensor& t, const Scalar& alpha);
// The inverse of a permutation (for permute's backward).
Shape invert_permutation(IntList dims);
// Re-inserts the reduced dims of a keepdim=False reduction as size 1.
Tensor unsqueeze_to(const Tensor& grad, IntList sizes, const std::optional<Shape>& dim,
                    bool keepdim);

Tensor sum_backward(const Tensor& grad, IntList sizes, const std::optional<Shape>& dim,
                    bool keepdim);
Tensor div_backward_self(const Tensor& grad, const Tensor& other,
                         const std::optional<std::string>& rounding_mode);
Tensor div_backward_other(const Tensor& grad, const Tensor& self, const Tensor& other,
                          const std::optional<std::string>& rounding_mode);

// ---- binary ----
// d(self ** exponent)/d(self) = exponent * self ** (exponent - 1), 0 where exponent is 0.
Tensor pow_backward_self(const Tensor& grad, const Tensor& self, const Tensor& exponent);
// d(self ** exponent)/d(exponent) = result * log(self), 0 where self is 0 and exponent >= 0.
Tensor pow_backward_exponent(const Tensor& grad, const Tensor& self, const Tensor& exponent,
                             const Tensor& result);
Tensor pow_backward_scalar(const Tensor& grad, const Tensor& self, const Scalar& exponent);
Tensor pow_backward_scalar_base(const Tensor& grad, const Scalar& self, const Tensor& exponent,
                                const Tensor& result);
// -grad * floor(self / other) and -grad * trunc(self / other).
Tensor remainder_backward_other(const Tensor& grad, const Tensor& self, const Tensor& other);
Tensor fmod_backward_other(const Tensor& grad, const Tensor& self, const Tensor& other);
// maximum / minimum: the larger (smaller) input takes the gradient; ties split it in half.
Tensor max_backward_self(const Tensor& grad, const Tensor& self, const Tensor& other);
Tensor min_backward_self(const Tensor& grad, const Tensor& self, const Tensor& other);
Tensor atan2_backward_self(const Tensor& grad, const Tensor& self, const Tensor& other);
Tensor atan2_backward_other(const Tensor& grad, const Tensor& self, const Tensor& other);
Tensor xlogy_backward_self(const Tensor& grad, const Tensor& self, const Tensor& other);
Tensor where_backward_self(const Tensor& grad, const Tensor& condition);
Tensor where_backward_other(const Tensor& grad, const Tensor& condition);
// fmax / fmin: self takes the gradient where it wins (ties and a NaN other included).
Tensor fmax_backward_self(const Tensor& grad, const Tensor& self, const Tensor& other);
Tensor fmax_backward_other(const Tensor& grad, const Tensor& self, const Tensor& other);
Tensor fmin_backward_self(const Tensor& grad, const Tensor& self, const Tensor& other);
Tensor fmin_backward_other(const Tensor& grad, const Tensor& self, const Tensor& other);
// grad * result / self, 0 where self is 0.
Tensor copysign_backward_self(const Tensor& grad, const Tensor& self, const Tensor& result);
Tensor lerp_backward_self(const Tensor& grad, const Scalar& weight);
Tensor addcdiv_backward_tensor2(const Tensor& grad, const Tensor& tensor1, const Tensor& tensor2,
                                const Scalar& value);
// (end of binary)

}  // namespace kiln
