#include "engine/autograd/backward_helpers.h"

#include <algorithm>
#include <cmath>

#include "engine/autograd/functions.h"
#include "engine/autograd/operators.h"
#include "engine/ops/rules.h"

namespace kiln {

bool is_expandable_to(IntList shape, IntList desired) {
  if (shape.size() > desired.size()) return false;
  for (size_t i = 0; i < shape.size(); ++i) {
    const int64_t s = shape[shape.size() - 1 - i];
    const int64_t d = desired[desired.size() - 1 - i];
    if (s != d && s != 1) return false;
  }
  return true;
}

Tensor sum_to(const Tensor& t, IntList shape) {
  if (IntList(t.sizes()) == shape) return t;
  const int64_t lead = t.dim() - static_cast<int64_t>(shape.size());
  Shape dims;
  for (int64_t d = 0; d < lead; ++d) dims.push_back(d);
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 1 && t.sizes()[lead + i] != 1) dims.push_back(lead + int64_t(i));
  }
  Tensor r = dims.empty() ? t : sum(t, dims, /*keepdim=*/true);
  if (lead > 0 || IntList(r.sizes()) != shape) r = reshape(r, shape);
  return r;
}

Tensor cast_to(const Tensor& t, DType dtype) {
  return t.dtype() == dtype ? t : to(t, std::nullopt, dtype, false);
}

Tensor maybe_multiply(const Tensor& t, const Scalar& alpha) {
  if (alpha == Scalar(1)) return t;
  return mul(t, wrapped_scalar(alpha));
}

Shape invert_permutation(IntList dims) {
  Shape inv(dims.size());
  const int64_t n = static_cast<int64_t>(dims.size());
  for (int64_t i = 0; i < n; ++i) inv[wrap_dim(dims[i], n)] = i;
  return inv;
}

Tensor unsqueeze_to(const Tensor& grad, IntList sizes, const std::optional<Shape>& dim,
                    bool keepdim) {
  if (keepdim) return grad;
  Shape shape(sizes.begin(), sizes.end());
  // Same dims the forward reduced (wrapped, sorted); they come back as size 1.
  Shape kept;
  const int64_t nd = static_cast<int64_t>(sizes.size());
  std::vector<bool> reduced(std::max<int64_t>(nd, 1), dim == std::nullopt || dim->empty());
  if (dim && !dim->empty()) {
    for (int64_t d : *dim) reduced[wrap_dim(d, nd)] = true;
  }
  for (int64_t d = 0; d < nd; ++d) kept.push_back(reduced[d] ? 1 : sizes[d]);
  return reshape(grad, kept);
}

Tensor sum_backward(const Tensor& grad, IntList sizes, const std::optional<Shape>& dim,
                    bool keepdim) {
  return expand(unsqueeze_to(grad, sizes, dim, keepdim), sizes);
}

Tensor div_backward_self(const Tensor& grad, const Tensor& other,
                         const std::optional<std::string>& rounding_mode) {
  if (rounding_mode) return zeros_like(grad);  // piecewise constant
  return div(grad, other);
}

Tensor div_backward_other(const Tensor& grad, const Tensor& self, const Tensor& other,
                          const std::optional<std::string>& rounding_mode) {
  if (rounding_mode) return zeros_like(grad);
  // d(self/other)/d(other) = -self / other^2
  return div(mul(neg(grad), self), mul(other, other));
}

// ---- binary ----

namespace {

// A 0-dim zero of grad's dtype: where() broadcasts it for free.
Tensor zero_like_scalar(const Tensor& grad) {
  return scalar_tensor(Scalar(0), grad.dtype(), grad.device());
}

}  // namespace

Tensor pow_backward_self(const Tensor& grad, const Tensor& self, const Tensor& exponent) {
  Tensor g = grad * (exponent * pow(self, exponent - Scalar(1)));
  return where(eq(exponent, wrapped_scalar(0)), zero_like_scalar(g), g);
}

Tensor pow_backward_exponent(const Tensor& grad, const Tensor& self, const Tensor& exponent,
                             const Tensor& result) {
  // xlogy(result, self) is result * log(self) (log lives with the unary ops).
  Tensor g = grad * xlogy(result, self);
  Tensor flat = logical_and(eq(self, wrapped_scalar(0)), ge(exponent, wrapped_scalar(0)));
  return where(flat, zero_like_scalar(g), g);
}

Tensor pow_backward_scalar(const Tensor& grad, const Tensor& self, const Scalar& exponent) {
  if (exponent == Scalar(0)) return zeros_like(self);
  const double e = exponent.to_double();
  return grad * (pow(self, Scalar(e - 1)) * Scalar(e));
}

Tensor pow_backward_scalar_base(const Tensor& grad, const Scalar& self, const Tensor& exponent,
                                const Tensor& result) {
  const double base = self.to_double();
  Tensor g = grad * (result * Scalar(std::log(base)));
  if (base != 0.0) return g;
  return where(ge(exponent, wrapped_scalar(0)), zero_like_scalar(g), g);
}

Tensor remainder_backward_other(const Tensor& grad, const Tensor& self, const Tensor& other) {
  return -grad * div(self, other, std::string("floor"));
}

Tensor fmod_backward_other(const Tensor& grad, const Tensor& self, const Tensor& other) {
  return -grad * div(self, other, std::string("trunc"));
}

Tensor max_backward_self(const Tensor& grad, const Tensor& self, const Tensor& other) {
  Tensor g = where(eq(self, other), grad * Scalar(0.5), grad);
  return where(lt(self, other), zero_like_scalar(g), g);
}

Tensor min_backward_self(const Tensor& grad, const Tensor& self, const Tensor& other) {
  Tensor g = where(eq(self, other), grad * Scalar(0.5), grad);
  return where(gt(self, other), zero_like_scalar(g), g);
}

Tensor atan2_backward_self(const Tensor& grad, const Tensor& self, const Tensor& other) {
  return grad * other / (self * self + other * other);
}

Tensor atan2_backward_other(const Tensor& grad, const Tensor& self, const Tensor& other) {
  return -grad * self / (self * self + other * other);
}

Tensor xlogy_backward_self(const Tensor& grad, const Tensor& self, const Tensor& other) {
  Tensor g = xlogy(grad, other);
  Tensor flat = logical_and(eq(self, wrapped_scalar(0)), le(other, wrapped_scalar(0)));
  return where(flat, zero_like_scalar(g), g);
}

Tensor where_backward_self(const Tensor& grad, const Tensor& condition) {
  return where(condition, grad, zero_like_scalar(grad));
}

Tensor where_backward_other(const Tensor& grad, const Tensor& condition) {
  return where(condition, zero_like_scalar(grad), grad);
}

Tensor fmax_backward_self(const Tensor& grad, const Tensor& self, const Tensor& other) {
  Tensor self_wins = logical_or(ge(self, other), ne(other, other));
  return where(self_wins, grad, zero_like_scalar(grad));
}

Tensor fmax_backward_other(const Tensor& grad, const Tensor& self, const Tensor& other) {
  Tensor self_wins = logical_or(ge(self, other), ne(other, other));
  return where(self_wins, zero_like_scalar(grad), grad);
}

Tensor fmin_backward_self(const Tensor& grad, const Tensor& self, const Tensor& other) {
  Tensor self_wins = logical_or(le(self, other), ne(other, other));
  return where(self_wins, grad, zero_like_scalar(grad));
}

Tensor fmin_backward_other(const Tensor& grad, const Tensor& self, const Tensor& other) {
  Tensor self_wins = logical_or(le(self, other), ne(other, other));
  return where(self_wins, zero_like_scalar(grad), grad);
}

Tensor copysign_backward_self(const Tensor& grad, const Tensor& self, const Tensor& result) {
  Tensor g = grad * (result / self);
  return where(eq(self, wrapped_scalar(0)), zero_like_scalar(g), g);
}

Tensor lerp_backward_self(const Tensor& grad, const Scalar& weight) {
  return grad * Scalar(1.0 - weight.to_double());
}

Tensor addcdiv_backward_tensor2(const Tensor& grad, const Tensor& tensor1, const Tensor& tensor2,
                                const Scalar& value) {
  return maybe_multiply(-grad * tensor1 / (tensor2 * tensor2), value);
}

// (end of binary)

}  // namespace kiln
