// Helpers the table's gradient formulas call. Written with kiln:: ops, so they run on every
// backend and are themselves differentiable (double backward).
#pragma once

#include <array>
#include <array>
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

// ---- linalg ----
// For c = alpha * a @ b: da = alpha * grad @ b^T, db = alpha * a^T @ grad (mm / addmm), the
// batched forms (bmm / baddbmm) and the matrix-vector forms (mv / addmv).
Tensor mm_mat1_backward(const Tensor& grad, const Tensor& mat2, const Scalar& alpha);
Tensor mm_mat2_backward(const Tensor& grad, const Tensor& mat1, const Scalar& alpha);
Tensor bmm_batch1_backward(const Tensor& grad, const Tensor& batch2, const Scalar& alpha);
Tensor bmm_batch2_backward(const Tensor& grad, const Tensor& batch1, const Scalar& alpha);
Tensor mv_mat_backward(const Tensor& grad, const Tensor& vec, const Scalar& alpha);
Tensor mv_vec_backward(const Tensor& grad, const Tensor& mat, const Scalar& alpha);
// (end of linalg)

// ---- nn_seq (engine/autograd/backward_nn_seq.cc) ----
// Grouped gradients: one fused backward op each, unneeded outputs left undefined. The
// attention's come back in the broadcast batch shape; the engine sums them to each input's.
std::vector<Tensor> linear_backward_grads(const Tensor& grad, const Tensor& input,
                                          const Tensor& weight, const std::array<bool, 3>& mask);
std::vector<Tensor> sdpa_backward_grads(const Tensor& grad, const Tensor& query,
                                        const Tensor& key, const Tensor& value,
                                        const Tensor& attn, double dropout_p,
                                        const std::array<bool, 3>& mask);
std::vector<Tensor> lstm_gates_backward_grads(const Tensor& grad_hy, const Tensor& grad_cy,
                                              const Tensor& gates, const Tensor& cx,
                                              const Tensor& cy, const std::array<bool, 2>& mask);
std::vector<Tensor> gru_gates_backward_grads(const Tensor& grad, const Tensor& igates,
                                             const Tensor& hgates, const Tensor& hx,
                                             const std::array<bool, 3>& mask);
// (end of nn_seq)

// ---- nn_conv: convolution and pooling (backward_nn_conv.cc) ----
// convolution's gradients for input, weight, bias (the mask's entries; bias_sizes is empty
// when there was no bias), through convolution_backward.
std::vector<Tensor> convolution_backward_grads(const Tensor& grad, const Tensor& input,
                                               const Tensor& weight, IntList bias_sizes,
                                               IntList stride, IntList padding, IntList dilation,
                                               bool transposed, IntList output_padding,
                                               int64_t groups, const std::array<bool, 3>& mask);
// convolution_backward's own gradients (for grad_output, input, weight) from the gradients
// of its three outputs: convolution is bilinear, so they are convolutions again.
std::vector<Tensor> convolution_double_backward(const std::vector<Tensor>& grads,
                                                const Tensor& grad_output, const Tensor& input,
                                                const Tensor& weight, IntList stride,
                                                IntList padding, IntList dilation,
                                                bool transposed, IntList output_padding,
                                                int64_t groups, const std::array<bool, 3>& mask);
// max_pool2d_with_indices_backward is linear in grad_output: its gradient reads `grad` at
// the indices of each plane.
Tensor max_pool2d_double_backward(const Tensor& grad, const Tensor& indices);
Tensor adaptive_avg_pool2d_double_backward(const Tensor& grad, IntList grad_output_sizes);
// (end of nn_conv)

}  // namespace kiln

namespace kiln {

// ---- unary (table/unary.yaml) ----
// grad * 2 / sqrt(pi) * e ** -(self ** 2)
Tensor erf_backward(const Tensor& grad, const Tensor& self);
// The gradient passes where min <= self <= max (a NaN self passes nothing).
Tensor clamp_backward(const Tensor& grad, const Tensor& self, const std::optional<Scalar>& min,
                      const std::optional<Scalar>& max);
Tensor clamp_backward_tensor(const Tensor& grad, const Tensor& self, const Tensor& min,
                             const Tensor& max);
// A bound takes the gradient where it is the value clamp returned (max wins when min > max).
Tensor clamp_backward_min(const Tensor& grad, const Tensor& self, const Tensor& min,
                          const Tensor& max);
Tensor clamp_backward_max(const Tensor& grad, const Tensor& self, const Tensor& min,
                          const Tensor& max);
Tensor nan_to_num_backward(const Tensor& grad, const Tensor& self);
// grad where result > threshold, else 0 (relu's gradient, from its output).
Tensor threshold_backward(const Tensor& grad, const Tensor& result, const Scalar& threshold);
Tensor gelu_backward(const Tensor& grad, const Tensor& self, const std::string& approximate);
Tensor silu_backward(const Tensor& grad, const Tensor& self);
Tensor leaky_relu_backward(const Tensor& grad, const Tensor& self, const Scalar& negative_slope);
Tensor elu_backward(const Tensor& grad, const Tensor& self, const Scalar& alpha,
                    const Scalar& scale, const Scalar& input_scale);
Tensor softplus_backward(const Tensor& grad, const Tensor& self, const Scalar& beta,
                         const Scalar& threshold);
// 0 at and beyond the bounds (strictly inside passes), as PyTorch's hardtanh_backward.
Tensor hardtanh_backward(const Tensor& grad, const Tensor& self, const Scalar& min_val,
                         const Scalar& max_val);
Tensor log_sigmoid_backward(const Tensor& grad, const Tensor& self);
Tensor mish_backward(const Tensor& grad, const Tensor& self);
Tensor hardswish_backward(const Tensor& grad, const Tensor& self);
Tensor hardsigmoid_backward(const Tensor& grad, const Tensor& self);
// (end of unary)

}  // namespace kiln

#include <array>  // nn_norm: grad_input_mask

namespace kiln {

// ---- nn_norm / nn_loss (table/nn_norm.yaml, table/nn_loss.yaml) ----

// The fused backward ops, returned as {input, weight, bias} (absent parameters get an empty
// placeholder the engine never reads).
std::vector<Tensor> layer_norm_grads(const Tensor& grad, const Tensor& input,
                                     IntList normalized_shape, const Tensor& mean,
                                     const Tensor& rstd, const Tensor& weight, const Tensor& bias,
                                     const std::array<bool, 3>& grad_input_mask);
std::vector<Tensor> batch_norm_grads(const Tensor& grad, const Tensor& input, const Tensor& weight,
                                     const Tensor& running_mean, const Tensor& running_var,
                                     const Tensor& save_mean, const Tensor& save_invstd,
                                     bool training, double eps,
                                     const std::array<bool, 3>& grad_input_mask);
std::vector<Tensor> group_norm_grads(const Tensor& grad, const Tensor& input, const Tensor& mean,
                                     const Tensor& rstd, const Tensor& weight, int64_t N,
                                     int64_t C, int64_t HxW, int64_t group,
                                     const std::array<bool, 3>& grad_input_mask);
// 1 / (1 - p) in training (0 when p is 1), 1 in eval: native_dropout's scale.
double dropout_scale(double p, bool train);
// {input, target}: the fused backward for input; for class-probability targets,
// -(1 - label_smoothing) weight log_softmax(input), scaled by the reduction, for target.
std::vector<Tensor> cross_entropy_grads(const Tensor& grad, const Tensor& input,
                                        const Tensor& target, const Tensor& weight,
                                        int64_t ignore_index, const std::string& reduction,
                                        double label_smoothing,
                                        const std::array<bool, 2>& grad_input_mask);
// (end of nn_norm)

}  // namespace kiln
