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

namespace kiln {

// ---- reductions, sort, scan (reduce family: table/reduce.yaml) ----

Tensor mean_backward(const Tensor& grad, IntList sizes, const std::optional<Shape>& dim,
                     bool keepdim);
// prod: each element gets the product of the others (exact with zeros: built from running
// products from both ends, no division).
Tensor prod_backward(const Tensor& grad, const Tensor& self, const Tensor& result);
Tensor prod_dim_backward(const Tensor& grad, const Tensor& self, int64_t dim, bool keepdim);
// max() / min(): the gradient split evenly among the elements equal to the result (NaNs
// when the result is NaN).
Tensor evenly_distribute_backward(const Tensor& grad, const Tensor& self, const Tensor& result);
// amax / amin over dims: the same, per output.
Tensor amax_backward(const Tensor& grad, const Tensor& self, const Tensor& result, IntList dim,
                     bool keepdim);
// max.dim, min.dim, topk, sort: the gradient goes back to the selected indices.
Tensor value_selecting_backward(const Tensor& grad, int64_t dim, const Tensor& indices,
                                IntList sizes, bool keepdim);
Tensor var_backward(const Tensor& grad, const Tensor& self, const std::optional<Shape>& dim,
                    std::optional<int64_t> correction, bool keepdim);
// std: var's gradient over 2 * std, 0 where std is 0.
Tensor std_backward(const Tensor& grad, const Tensor& self, const Tensor& result,
                    const std::optional<Shape>& dim, std::optional<int64_t> correction,
                    bool keepdim);
Tensor norm_backward(const Tensor& grad, const Tensor& self, const std::optional<Scalar>& p,
                     const Tensor& result, const std::optional<Shape>& dim, bool keepdim);
Tensor logsumexp_backward(const Tensor& grad, const Tensor& self, const Tensor& result,
                          IntList dim, bool keepdim);
// The running sum from the end: flip, cumsum, flip.
Tensor cumsum_backward(const Tensor& grad, int64_t dim);
// sum over k >= i of grad_k * prod_{j <= k, j != i} self_j, exact with zeros.
Tensor cumprod_backward(const Tensor& grad, const Tensor& self, int64_t dim, const Tensor& result);
// (end of reduce)

}  // namespace kiln

namespace kiln {

// ---- views and indexing (index family: table/view.yaml, table/index.yaml) ----

// Gradients of views: the gradient placed into zeros of the input's shape.
Tensor narrow_backward(const Tensor& grad, IntList sizes, int64_t dim, int64_t start,
                       int64_t length);
Tensor slice_grad(const Tensor& grad, IntList sizes, int64_t dim, std::optional<int64_t> start,
                  std::optional<int64_t> end, int64_t step);
// Multi-output views: the engine hands every output's gradient (zeros where unused).
Tensor unbind_backward(const std::vector<Tensor>& grads, int64_t dim);
Tensor split_backward(const std::vector<Tensor>& grads, int64_t dim);
// cat: each input's slice of the gradient (zeros for skipped 1-d empty inputs).
std::vector<Tensor> cat_backward(const Tensor& grad, int64_t dim, const std::vector<Shape>& sizes);
// Gathers scatter their gradient back, accumulating over repeated indices.
Tensor index_select_backward(const Tensor& grad, IntList sizes, int64_t dim, const Tensor& index);
Tensor gather_backward(const Tensor& grad, IntList sizes, int64_t dim, const Tensor& index);
Tensor index_backward(const Tensor& grad, IntList sizes, const std::vector<Tensor>& indices);
Tensor masked_select_backward(const Tensor& grad, IntList self_sizes, const Tensor& mask);
// Scatters gather the gradient of what they wrote (zero-padded to src when index is smaller).
Tensor scatter_src_backward(const Tensor& grad, int64_t dim, const Tensor& index,
                            IntList src_sizes);
Tensor index_add_source_backward(const Tensor& grad, int64_t dim, const Tensor& index,
                                 IntList source_sizes, const Scalar& alpha);
// index_put: overwritten entries of self get no gradient (unless accumulate); values get the
// gradient at their positions, summed over broadcasting.
Tensor index_put_self_backward(const Tensor& grad, const std::vector<Tensor>& indices,
                               bool accumulate);
Tensor index_put_values_backward(const Tensor& grad, const std::vector<Tensor>& indices,
                                 IntList values_sizes);
Tensor masked_fill_self_backward(const Tensor& grad, const Tensor& mask, IntList self_sizes);
Tensor masked_fill_value_backward(const Tensor& grad, const Tensor& mask);
// The padding undone: negated pads crop what was added (and re-add what was cropped, as 0).
Tensor constant_pad_nd_backward(const Tensor& grad, IntList pad);

}  // namespace kiln
