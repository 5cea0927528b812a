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

