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

}  // namespace kiln
