#include "engine/autograd/backward_helpers.h"

#include <algorithm>
#include <cmath>
#include <limits>

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

namespace kiln {

// ---- views and indexing (index family) ----

Tensor narrow_backward(const Tensor& grad, IntList sizes, int64_t dim, int64_t start,
                       int64_t length) {
  const int64_t d = wrap_dim(dim, int64_t(sizes.size()));
  if (start < 0) start += sizes[d];
  return slice_backward(grad, sizes, d, start, start + length, 1);
}

Tensor slice_grad(const Tensor& grad, IntList sizes, int64_t dim, std::optional<int64_t> start,
                  std::optional<int64_t> end, int64_t step) {
  return slice_backward(grad, sizes, dim, start.value_or(0),
                        end.value_or(std::numeric_limits<int64_t>::max()), step);
}

Tensor unbind_backward(const std::vector<Tensor>& grads, int64_t dim) { return stack(grads, dim); }

Tensor split_backward(const std::vector<Tensor>& grads, int64_t dim) { return cat(grads, dim); }

std::vector<Tensor> cat_backward(const Tensor& grad, int64_t dim, const std::vector<Shape>& sizes) {
  std::vector<Tensor> out;
  const int64_t d = wrap_dim(dim, grad.dim());
  int64_t start = 0;
  for (const Shape& s : sizes) {
    if (s.size() == 1 && s[0] == 0) {
      out.push_back(zeros(s, grad.dtype(), grad.device()));
      continue;
    }
    out.push_back(narrow(grad, d, start, s[d]));
    start += s[d];
  }
  return out;
}

Tensor index_select_backward(const Tensor& grad, IntList sizes, int64_t dim, const Tensor& index) {
  return index_add(zeros(sizes, grad.dtype(), grad.device()), dim, index, grad);
}

Tensor gather_backward(const Tensor& grad, IntList sizes, int64_t dim, const Tensor& index) {
  return scatter_add(zeros(sizes, grad.dtype(), grad.device()), dim, index, grad);
}

Tensor index_backward(const Tensor& grad, IntList sizes, const std::vector<Tensor>& indices) {
  return index_put(zeros(sizes, grad.dtype(), grad.device()), indices, grad, true);
}

Tensor masked_select_backward(const Tensor& grad, IntList self_sizes, const Tensor& mask) {
  const Shape shape = broadcast_shapes("masked_select", self_sizes, mask.sizes());
  const Tensor full =
      index_put(zeros(shape, grad.dtype(), grad.device()), {expand(mask, shape)}, grad, true);
  return sum_to(full, self_sizes);
}

Tensor scatter_src_backward(const Tensor& grad, int64_t dim, const Tensor& index,
                            IntList src_sizes) {
  Tensor g = gather(grad, dim, index);
  if (IntList(g.sizes()) == src_sizes) return g;
  if (g.dim() != int64_t(src_sizes.size())) return reshape(g, src_sizes);
  // src may be larger than index: its other entries were never written.
  Shape pad;
  for (int64_t k = g.dim() - 1; k >= 0; --k) {
    pad.push_back(0);
    pad.push_back(src_sizes[k] - g.sizes()[k]);
  }
  return constant_pad_nd(g, pad, Scalar(0));
}

Tensor index_add_source_backward(const Tensor& grad, int64_t dim, const Tensor& index,
                                 IntList source_sizes, const Scalar& alpha) {
  Tensor g = index_select(grad, dim, index);
  if (IntList(g.sizes()) != source_sizes) g = reshape(g, source_sizes);
  return maybe_multiply(g, alpha);
}

Tensor index_put_self_backward(const Tensor& grad, const std::vector<Tensor>& indices,
                               bool accumulate) {
  if (accumulate) return grad;
  return index_put(grad, indices, zeros({}, grad.dtype(), grad.device()), false);
}

Tensor index_put_values_backward(const Tensor& grad, const std::vector<Tensor>& indices,
                                 IntList values_sizes) {
  return sum_to(index(grad, indices), values_sizes);
}

Tensor masked_fill_self_backward(const Tensor& grad, const Tensor& mask, IntList self_sizes) {
  return sum_to(masked_fill(grad, mask, Scalar(0)), self_sizes);
}

Tensor masked_fill_value_backward(const Tensor& grad, const Tensor& mask) {
  return sum(masked_select(grad, mask));
}

Tensor constant_pad_nd_backward(const Tensor& grad, IntList pad) {
  Shape neg;
  for (int64_t p : pad) neg.push_back(-p);
  return constant_pad_nd(grad, neg, Scalar(0));
}

}  // namespace kiln

// ---- linalg ----
namespace kiln {

Tensor mm_mat1_backward(const Tensor& grad, const Tensor& mat2, const Scalar& alpha) {
  return maybe_multiply(mm(grad, t(mat2)), alpha);
}

Tensor mm_mat2_backward(const Tensor& grad, const Tensor& mat1, const Scalar& alpha) {
  return maybe_multiply(mm(t(mat1), grad), alpha);
}

Tensor bmm_batch1_backward(const Tensor& grad, const Tensor& batch2, const Scalar& alpha) {
  return maybe_multiply(bmm(grad, transpose(batch2, 1, 2)), alpha);
}

Tensor bmm_batch2_backward(const Tensor& grad, const Tensor& batch1, const Scalar& alpha) {
  return maybe_multiply(bmm(transpose(batch1, 1, 2), grad), alpha);
}

Tensor mv_mat_backward(const Tensor& grad, const Tensor& vec, const Scalar& alpha) {
  return maybe_multiply(mm(unsqueeze(grad, 1), unsqueeze(vec, 0)), alpha);
}

Tensor mv_vec_backward(const Tensor& grad, const Tensor& mat, const Scalar& alpha) {
  return maybe_multiply(mv(t(mat), grad), alpha);
}

}  // namespace kiln
// (end of linalg)

namespace kiln {

// ---- unary (table/unary.yaml) ----

namespace {

// A 0-dim zero of grad's dtype (where() broadcasts it for free).
Tensor unary_zero(const Tensor& grad) {
  return scalar_tensor(Scalar(0), grad.dtype(), grad.device());
}

Tensor pass_where(const Tensor& mask, const Tensor& grad) {
  return where(mask, grad, unary_zero(grad));
}

}  // namespace

Tensor erf_backward(const Tensor& grad, const Tensor& self) {
  return grad * (exp(-(self * self)) * 1.1283791670955126);
}

Tensor clamp_backward(const Tensor& grad, const Tensor& self, const std::optional<Scalar>& min,
                      const std::optional<Scalar>& max) {
  if (min && max) {
    return pass_where(logical_and(ge(self, wrapped_scalar(*min)), le(self, wrapped_scalar(*max))),
                      grad);
  }
  if (min) return pass_where(ge(self, wrapped_scalar(*min)), grad);
  if (max) return pass_where(le(self, wrapped_scalar(*max)), grad);
  return grad;
}

Tensor clamp_backward_tensor(const Tensor& grad, const Tensor& self, const Tensor& min,
                             const Tensor& max) {
  if (min.defined() && max.defined()) {
    return pass_where(logical_and(ge(self, min), le(self, max)), grad);
  }
  if (min.defined()) return pass_where(ge(self, min), grad);
  if (max.defined()) return pass_where(le(self, max), grad);
  return grad;
}

Tensor clamp_backward_min(const Tensor& grad, const Tensor& self, const Tensor& min,
                          const Tensor& max) {
  if (!min.defined()) return Tensor();
  if (max.defined()) return pass_where(logical_and(lt(self, min), lt(min, max)), grad);
  return pass_where(lt(self, min), grad);
}

Tensor clamp_backward_max(const Tensor& grad, const Tensor& self, const Tensor& min,
                          const Tensor& max) {
  if (!max.defined()) return Tensor();
  if (min.defined()) return pass_where(logical_or(gt(self, max), lt(max, min)), grad);
  return pass_where(gt(self, max), grad);
}

Tensor nan_to_num_backward(const Tensor& grad, const Tensor& self) {
  return pass_where(isfinite(self), grad);
}

Tensor threshold_backward(const Tensor& grad, const Tensor& result, const Scalar& threshold) {
  return pass_where(gt(result, wrapped_scalar(threshold)), grad);
}

Tensor gelu_backward(const Tensor& grad, const Tensor& self, const std::string& approximate) {
  if (approximate == "tanh") {
    constexpr double kBeta = 0.7978845608028654;  // sqrt(2 / pi)
    constexpr double kKappa = 0.044715;
    Tensor x2 = self * self;
    Tensor t = tanh((self + x2 * self * kKappa) * kBeta);
    Tensor dinner = (x2 * (3 * kKappa) + 1) * kBeta;
    // d/dx [x/2 (1 + t)] = (1 + t) / 2 + x/2 (1 - t^2) inner'
    return grad * ((t + 1) * 0.5 + self * 0.5 * (1 - t * t) * dinner);
  }
  Tensor cdf = (erf(self * 0.7071067811865476) + 1) * 0.5;
  Tensor pdf = exp(self * self * -0.5) * 0.3989422804014327;  // 1 / sqrt(2 pi)
  return grad * (cdf + self * pdf);
}

Tensor silu_backward(const Tensor& grad, const Tensor& self) {
  Tensor s = sigmoid(self);
  return grad * (s * (self * (1 - s) + 1));
}

Tensor leaky_relu_backward(const Tensor& grad, const Tensor& self, const Scalar& negative_slope) {
  return where(gt(self, wrapped_scalar(0)), grad, grad * negative_slope);
}

Tensor elu_backward(const Tensor& grad, const Tensor& self, const Scalar& alpha,
                    const Scalar& scale, const Scalar& input_scale) {
  const double in = input_scale.to_double();
  const double neg = alpha.to_double() * scale.to_double() * in;
  return where(gt(self, wrapped_scalar(0)), grad * scale, grad * (exp(self * in) * neg));
}

Tensor softplus_backward(const Tensor& grad, const Tensor& self, const Scalar& beta,
                         const Scalar& threshold) {
  Tensor bx = self * beta;
  // sigmoid(beta x) is e^bx / (e^bx + 1) without inf / inf past the threshold.
  return where(gt(bx, wrapped_scalar(threshold)), grad, grad * sigmoid(bx));
}

Tensor hardtanh_backward(const Tensor& grad, const Tensor& self, const Scalar& min_val,
                         const Scalar& max_val) {
  Tensor outside = logical_or(le(self, wrapped_scalar(min_val)), ge(self, wrapped_scalar(max_val)));
  return where(outside, unary_zero(grad), grad);
}

Tensor log_sigmoid_backward(const Tensor& grad, const Tensor& self) {
  return grad * sigmoid(-self);
}

Tensor mish_backward(const Tensor& grad, const Tensor& self) {
  Tensor t = tanh(softplus(self));
  return grad * (t + self * sigmoid(self) * (1 - t * t));
}

Tensor hardswish_backward(const Tensor& grad, const Tensor& self) {
  Tensor inside = where(le(self, wrapped_scalar(3)), grad * (self / 3 + 0.5), grad);
  return where(lt(self, wrapped_scalar(-3)), unary_zero(grad), inside);
}

Tensor hardsigmoid_backward(const Tensor& grad, const Tensor& self) {
  Tensor inside = logical_and(gt(self, wrapped_scalar(-3)), lt(self, wrapped_scalar(3)));
  return pass_where(inside, grad / 6);
}

// (end of unary)

}  // namespace kiln

namespace kiln {

// ---- reductions, sort, scan (reduce family) ----

namespace {

int64_t reduced_count(IntList sizes, const std::optional<Shape>& dim) {
  const int64_t nd = static_cast<int64_t>(sizes.size());
  int64_t n = 1;
  if (!dim || dim->empty()) {
    for (int64_t s : sizes) n *= s;
    return n;
  }
  for (int64_t d : *dim) n *= nd == 0 ? 1 : sizes[wrap_dim(d, nd)];
  return n;
}

Tensor as_dtype_of(const Tensor& mask, const Tensor& like) { return cast_to(mask, like.dtype()); }

// x == value, counting NaN == NaN (the reduced value of a lane holding a NaN is NaN).
Tensor equal_or_both_nan(const Tensor& x, const Tensor& value) {
  return logical_or(eq(x, value), logical_and(ne(x, x), ne(value, value)));
}

Tensor sign_of(const Tensor& x) {
  return as_dtype_of(gt(x, wrapped_scalar(0)), x) - as_dtype_of(lt(x, wrapped_scalar(0)), x);
}

// Product of every other element along dim: exclusive running products from the left and
// from the right, multiplied.
Tensor prod_of_others(const Tensor& x, int64_t dim) {
  const int64_t n = x.sizes()[dim];
  if (n == 0) return x;
  const Tensor one = ones_like(narrow(x, dim, 0, 1));
  if (n == 1) return one;
  const Tensor left = cumprod(x, dim, std::nullopt);
  const Tensor right = flip(cumprod(flip(x, {dim}), dim, std::nullopt), {dim});
  return cat({one, narrow(left, dim, 0, n - 1)}, dim) * cat({narrow(right, dim, 1, n - 1), one}, dim);
}

}  // namespace

Tensor mean_backward(const Tensor& grad, IntList sizes, const std::optional<Shape>& dim,
                     bool keepdim) {
  return sum_backward(grad, sizes, dim, keepdim) / Scalar(double(reduced_count(sizes, dim)));
}

Tensor prod_backward(const Tensor& grad, const Tensor& self, const Tensor&) {
  if (self.numel() == 0) return zeros_like(self);
  const Tensor others = reshape(prod_of_others(reshape(self, {-1}), 0), self.sizes());
  return grad * others;
}

Tensor prod_dim_backward(const Tensor& grad, const Tensor& self, int64_t dim, bool keepdim) {
  if (self.dim() == 0) return grad;
  const int64_t d = wrap_dim(dim, self.dim());
  const Tensor g = keepdim ? grad : unsqueeze(grad, d);
  return g * prod_of_others(self, d);
}

Tensor evenly_distribute_backward(const Tensor& grad, const Tensor& self, const Tensor& result) {
  const Tensor mask = as_dtype_of(equal_or_both_nan(self, result), grad);
  return mask * (grad / sum(mask, std::nullopt, false, std::nullopt));
}

Tensor amax_backward(const Tensor& grad, const Tensor& self, const Tensor& result, IntList dim,
                     bool keepdim) {
  const std::optional<Shape> dims(dim.vec());
  const Tensor g = unsqueeze_to(grad, self.sizes(), dims, keepdim);
  const Tensor r = unsqueeze_to(result, self.sizes(), dims, keepdim);
  const Tensor mask = as_dtype_of(equal_or_both_nan(self, r), grad);
  return mask * (g / sum(mask, dims, true, std::nullopt));
}

Tensor value_selecting_backward(const Tensor& grad, int64_t dim, const Tensor& indices,
                                IntList sizes, bool keepdim) {
  if (sizes.size() == 0) return reshape(grad, {});
  const int64_t d = wrap_dim(dim, static_cast<int64_t>(sizes.size()));
  const Tensor g = keepdim ? grad : unsqueeze(grad, d);
  const Tensor i = keepdim ? indices : unsqueeze(indices, d);
  return gather_backward(g, sizes, d, i);
}

Tensor var_backward(const Tensor& grad, const Tensor& self, const std::optional<Shape>& dim,
                    std::optional<int64_t> correction, bool keepdim) {
  const double n = double(reduced_count(self.sizes(), dim));
  const double scale = 2.0 / (n - double(correction.value_or(1)));
  const Tensor g = unsqueeze_to(grad, self.sizes(), dim, keepdim);
  return (g * Scalar(scale)) * (self - mean(self, dim, true, std::nullopt));
}

Tensor std_backward(const Tensor& grad, const Tensor& self, const Tensor& result,
                    const std::optional<Shape>& dim, std::optional<int64_t> correction,
                    bool keepdim) {
  const Tensor g = masked_fill(grad / (result * Scalar(2)), eq(result, wrapped_scalar(0)),
                               Scalar(0.0));
  return var_backward(g, self, dim, correction, keepdim);
}

Tensor norm_backward(const Tensor& grad, const Tensor& self, const std::optional<Scalar>& p,
                     const Tensor& result, const std::optional<Shape>& dim, bool keepdim) {
  const double pv = p ? p->to_double() : 2.0;
  if (pv == 0.0) return zeros_like(self);
  const Tensor g = unsqueeze_to(grad, self.sizes(), dim, keepdim);
  const Tensor sign = sign_of(self);
  if (pv == 1.0) return g * sign;
  const Tensor r = unsqueeze_to(result, self.sizes(), dim, keepdim);
  const Tensor at_zero = eq(r, wrapped_scalar(0));
  if (pv == 2.0) return self * masked_fill(g / r, at_zero, Scalar(0.0));
  const Tensor abs = self * sign;
  if (std::isinf(pv)) {
    // Evenly among the elements whose |x| is the norm.
    const Tensor mask = sign * as_dtype_of(equal_or_both_nan(abs, r), self);
    return mask * (g / sum(mask * sign, dim, true, std::nullopt));
  }
  const Tensor scale = masked_fill(g / pow(r, Scalar(pv - 1)), at_zero, Scalar(0.0));
  return self * pow(abs, Scalar(pv - 2)) * scale;
}

Tensor logsumexp_backward(const Tensor& grad, const Tensor& self, const Tensor& result,
                          IntList dim, bool keepdim) {
  const std::optional<Shape> dims(dim.vec());
  const Tensor g = unsqueeze_to(grad, self.sizes(), dims, keepdim);
  const Tensor r = unsqueeze_to(result, self.sizes(), dims, keepdim);
  return g * exp(self - r);
}

Tensor cumsum_backward(const Tensor& grad, int64_t dim) {
  if (grad.dim() == 0) return grad;
  const int64_t d = wrap_dim(dim, grad.dim());
  return flip(cumsum(flip(grad, {d}), d, std::nullopt), {d});
}

Tensor cumprod_backward(const Tensor& grad, const Tensor& self, int64_t dim,
                        const Tensor& result) {
  if (self.dim() == 0) return grad;
  const int64_t d = wrap_dim(dim, self.dim());
  // Up to a lane's first zero every x_i is nonzero and the quotient form is exact; past it
  // every product holds that zero; at it, the products with x_z taken as 1 give the answer.
  const Tensor is_zero = eq(self, wrapped_scalar(0));
  const Tensor zeros_so_far = cumsum(is_zero, d, std::nullopt);
  const Tensor before = eq(zeros_so_far, wrapped_scalar(0));
  const Tensor first_zero = logical_and(is_zero, eq(zeros_so_far, wrapped_scalar(1)));
  const Tensor zero = zeros_like(grad);
  const Tensor safe = where(before, self, ones_like(self));
  const Tensor upto = where(before, cumsum_backward(grad * result, d) / safe, zero);
  const Tensor skipped = cumprod(where(first_zero, ones_like(self), self), d, std::nullopt);
  return upto + where(first_zero, cumsum_backward(grad * skipped, d), zero);
}

}  // namespace kiln

namespace kiln {

// ---- nn_norm / nn_loss ----

std::vector<Tensor> layer_norm_grads(const Tensor& grad, const Tensor& input,
                                     IntList normalized_shape, const Tensor& mean,
                                     const Tensor& rstd, const Tensor& weight, const Tensor& bias,
                                     const std::array<bool, 3>&) {
  auto [gi, gw, gb] = native_layer_norm_backward(grad, input, normalized_shape, mean, rstd,
                                                 weight, bias);
  return {gi, gw, gb};
}

std::vector<Tensor> batch_norm_grads(const Tensor& grad, const Tensor& input, const Tensor& weight,
                                     const Tensor& running_mean, const Tensor& running_var,
                                     const Tensor& save_mean, const Tensor& save_invstd,
                                     bool training, double eps, const std::array<bool, 3>&) {
  auto [gi, gw, gb] = native_batch_norm_backward(grad, input, weight, running_mean, running_var,
                                                 save_mean, save_invstd, training, eps);
  return {gi, gw, gb};
}

std::vector<Tensor> group_norm_grads(const Tensor& grad, const Tensor& input, const Tensor& mean,
                                     const Tensor& rstd, const Tensor& weight, int64_t N,
                                     int64_t C, int64_t HxW, int64_t group,
                                     const std::array<bool, 3>&) {
  auto [gi, gw, gb] = native_group_norm_backward(grad, input, mean, rstd, weight, N, C, HxW, group);
  return {gi, gw, gb};
}

double dropout_scale(double p, bool train) {
  if (!train) return 1.0;
  return p >= 1 ? 0.0 : 1.0 / (1.0 - p);
}

std::vector<Tensor> cross_entropy_grads(const Tensor& grad, const Tensor& input,
                                        const Tensor& target, const Tensor& weight,
                                        int64_t ignore_index, const std::string& reduction,
                                        double label_smoothing,
                                        const std::array<bool, 2>& grad_input_mask) {
  std::vector<Tensor> out(2);
  if (grad_input_mask[0]) {
    out[0] = _cross_entropy_backward(grad, input, target, weight, ignore_index, reduction,
                                     label_smoothing);
  }
  if (grad_input_mask[1] && target.is_floating_point()) {
    const int64_t class_dim = input.dim() == 1 ? 0 : 1;
    const int64_t c = input.sizes()[class_dim];
    Tensor coef = grad;
    if (reduction == "none") {
      coef = unsqueeze(grad, class_dim);
    } else if (reduction == "mean") {
      coef = grad / Scalar(double(input.numel() / std::max<int64_t>(c, 1)));
    }
    Tensor g = log_softmax(input, class_dim) * coef * Scalar(label_smoothing - 1.0);
    if (weight.defined()) {
      Shape ws(size_t(input.dim() - class_dim), 1);
      ws[0] = c;
      g = g * reshape(weight, ws);
    }
    out[1] = g;
  }
  return out;
}
// (end of nn_norm)

}  // namespace kiln

