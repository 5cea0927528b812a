// The rules the op table's `compute`, `dtype` and `shape` expressions call, and the plumbing
// the generated ops use (device agreement, casts, in-place and out= checks).
//
// Each rule takes the op's name first, for its error messages. Every rule here has a twin of
// the same name in clients/python/kiln/_rules.py; tests/client checks they agree for every op.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/tensor.h"
#include "engine/ops/op_id.h"

namespace kiln::rules {

// ---- plumbing for generated code ----

void check_defined(const char* op, const Tensor& t, const char* name);
// The device every tensor argument is on; 0-dim CPU tensors (Python numbers) go anywhere.
Device common_device(const char* op, std::initializer_list<const Tensor*> tensors,
                     std::initializer_list<const std::vector<Tensor>*> lists);
// Throws NotImplemented "add: not implemented for cpu/bool" when the table's dtype set for
// the backend lacks `dtype`.
void check_supported(OpId id, const char* op, Device device, DType dtype);
[[noreturn]] void missing_kernel(const char* op, Device device);
DType list_dtype(const char* op, const std::vector<Tensor>& tensors);

// `t` as `dtype` (itself when it already is).
Tensor cast(const Tensor& t, DType dtype);
Tensor cast_optional(const Tensor& t, DType dtype);
std::vector<Tensor> cast_list(const std::vector<Tensor>& ts, DType dtype);

// In-place: the op's result must have self's shape and fit self's dtype.
void check_inplace(const char* op, const Tensor& self, const Shape& shape, DType dtype);
// out=: the result must fit out's dtype; out is resized to `shape` if it differs.
void prepare_out(const char* op, const Tensor& out, const Shape& shape, DType dtype);
// True when some element of `t` is addressed twice (a stride-0 dim of size > 1).
bool has_internal_overlap(const Tensor& t);
// Runs `kernel(dst)` when dst has the kernel's output dtype, else computes into a temporary
// of `dtype` and copies (converting); bumps dst's version either way.
template <typename F>
void write_into(const Tensor& dst, DType dtype, F&& kernel);
void copy_into(const Tensor& dst, const Tensor& src);  // broadcast + convert, any devices

// ---- dtype rules ----

// PyTorch's result_type: tensors with dims outrank 0-dim tensors, which outrank Python
// numbers, except that a higher category (bool < int < float) always wins.
DType promote(const char* op, std::initializer_list<const Tensor*> tensors);
inline DType promote(const char* op, const Tensor& a) { return promote(op, {&a}); }
inline DType promote(const char* op, const Tensor& a, const Tensor& b) {
  return promote(op, {&a, &b});
}
inline DType promote(const char* op, const Tensor& a, const Tensor& b, const Tensor& c) {
  return promote(op, {&a, &b, &c});
}
DType promote(const char* op, const std::vector<Tensor>& tensors);
// promote, then integers and bool become the default float (true division, sqrt, mean).
DType promote_float(const char* op, const Tensor& a);
DType promote_float(const char* op, const Tensor& a, const Tensor& b);
DType promote_float(const char* op, const Tensor& a, const Tensor& b, const Tensor& c);
// div: true division promotes to float; with a rounding mode, integers stay integers.
DType div_dtype(const char* op, const Tensor& a, const Tensor& b,
                const std::optional<std::string>& rounding_mode);
// Integer and bool promote to int64 (sum, prod, cumsum), floats keep their type.
DType sum_dtype(const char* op, const Tensor& a);
inline DType dtype_of(const char*, const Tensor& a) { return a.dtype(); }
inline DType dtype_of(const char* op, const std::vector<Tensor>& ts) { return list_dtype(op, ts); }
// The requested dtype if given, else `fallback`.
inline DType arg(const char*, std::optional<DType> d, DType fallback) { return d.value_or(fallback); }
inline DType default_float(const char*) { return default_float_dtype(); }
// The dtype a Python number takes in a factory (full(…, 2) is int64, full(…, 2.) float32).
DType scalar_dtype(const char* op, const Scalar& s);
// The requested dtype must be floating (rand, randn, normal): else TypeError.
DType floating_arg(const char* op, std::optional<DType> d);
// Float inputs keep their dtype; anything else is an error naming the op (e.g. erf on ints
// is fine in PyTorch, so this is for ops that really need floats: softmax on ints).
DType require_floating(const char* op, const Tensor& a);

// ---- shape rules ----

inline Shape shape_of(const char*, const Tensor& a) { return a.sizes(); }
Shape broadcast(const char* op, const Tensor& a, const Tensor& b);
Shape broadcast(const char* op, const Tensor& a, const Tensor& b, const Tensor& c);
// A size given by the caller (factories): checked for negative sizes and overflow.
Shape size(const char* op, IntList sizes);
inline Shape scalar(const char*) { return {}; }
// Reduction over `dim` (all dims when empty / None), dropping them unless keepdim.
Shape reduce(const char* op, const Tensor& self, const std::optional<Shape>& dim, bool keepdim);
Shape reduce(const char* op, const Tensor& self, IntList dim, bool keepdim);
Shape reduce(const char* op, const Tensor& self, int64_t dim, bool keepdim);
Shape reduce(const char* op, const Tensor& self, std::optional<int64_t> dim, bool keepdim);

// Views (rules_view.cc): view/reshape with one -1 inferred, permute, transpose, expand.
Shape view_shape(const char* op, const Tensor& self, IntList size);
Shape permute(const char* op, const Tensor& self, IntList dims);
Shape transpose(const char* op, const Tensor& self, int64_t dim0, int64_t dim1);
Shape expand(const char* op, const Tensor& self, IntList size);
// narrow: start in [-size, size] (negative counts from the end), 0 <= length <= size - start.
Shape narrow(const char* op, const Tensor& self, int64_t dim, int64_t start, int64_t length);
Shape select(const char* op, const Tensor& self, int64_t dim, int64_t index);
// Python slice semantics along dim: None is the whole dim, out-of-range bounds clamp,
// step >= 1. `slice_range` gives the clamped start and the number of entries.
struct SliceRange {
  int64_t start;
  int64_t length;
};
SliceRange slice_range(int64_t size, std::optional<int64_t> start, std::optional<int64_t> end,
                       int64_t step);
Shape slice_shape(const char* op, const Tensor& self, int64_t dim, std::optional<int64_t> start,
                  std::optional<int64_t> end, int64_t step);
std::vector<Shape> unbind(const char* op, const Tensor& self, int64_t dim);
// squeeze: every size-1 dim, or the given dim(s) when their size is 1.
Shape squeeze(const char* op, const Tensor& self);
Shape squeeze(const char* op, const Tensor& self, int64_t dim);
Shape squeeze(const char* op, const Tensor& self, IntList dims);
Shape unsqueeze(const char* op, const Tensor& self, int64_t dim);
Shape flatten(const char* op, const Tensor& self, int64_t start_dim, int64_t end_dim);
Shape unflatten(const char* op, const Tensor& self, int64_t dim, IntList sizes);
Shape t(const char* op, const Tensor& self);
// The pieces split, split_with_sizes and chunk cut along dim (sizes of dim per piece).
std::vector<int64_t> split_sizes(const char* op, const Tensor& self, int64_t split_size,
                                 int64_t dim);
std::vector<int64_t> split_with_sizes_check(const char* op, const Tensor& self,
                                            IntList split_sizes, int64_t dim);
std::vector<int64_t> chunk_sizes(const char* op, const Tensor& self, int64_t chunks, int64_t dim);
std::vector<Shape> split(const char* op, const Tensor& self, int64_t split_size, int64_t dim);
std::vector<Shape> split_with_sizes(const char* op, const Tensor& self, IntList split_sizes,
                                    int64_t dim);
std::vector<Shape> chunk(const char* op, const Tensor& self, int64_t chunks, int64_t dim);
// movedim: the permutation that moves `source` dims to `destination`.
Shape movedim_perm(const char* op, const Tensor& self, IntList source, IntList destination);
Shape movedim(const char* op, const Tensor& self, IntList source, IntList destination);

// The dims a reduction covers, wrapped and checked for duplicates; all dims when empty.
std::vector<int64_t> reduce_dims(const char* op, const Tensor& self,
                                 const std::optional<Shape>& dim);

// ---- creation and random (rules_creation.cc) ----
// (end)


// ---- unary (rules_unary.cc) ----
// square: pow(self, 2)'s dtype (bool squares to int64).
DType square_dtype(const char* op, const Tensor& self);
// clamp: result_type(self, min, max) over the bounds given; at least one must be.
DType clamp_dtype(const char* op, const Tensor& self, const std::optional<Scalar>& min,
                  const std::optional<Scalar>& max);
DType clamp_dtype(const char* op, const Tensor& self, const Tensor& min, const Tensor& max);
// clamp with tensor bounds: self broadcast with the bounds given.
Shape clamp_shape(const char* op, const Tensor& self, const Tensor& min, const Tensor& max);
// gelu: approximate is "none" or "tanh"; self's dtype.
DType gelu_dtype(const char* op, const Tensor& self, const std::string& approximate);
// (end)


// ---- binary (rules_binary.cc) ----
// promote, checking that alpha fits the result (no float alpha for integers, no bool alpha
// unless the result is bool).
DType promote_alpha(const char* op, const Tensor& a, const Tensor& b, const Scalar& alpha);
// div_dtype, after checking the rounding mode (None, "trunc" or "floor").
DType div_mode_dtype(const char* op, const Tensor& a, const Tensor& b,
                     const std::optional<std::string>& rounding_mode);
// promote_alpha, rejecting bool operands as PyTorch's sub does.
DType promote_sub(const char* op, const Tensor& a, const Tensor& b, const Scalar& alpha);
// Throws "value cannot be converted to type uint8 without overflow" when the Python number
// `s` does not fit `dtype` (negative ints may wrap into uint8, as in PyTorch).
void check_scalar_fits(const char* op, const Scalar& s, DType dtype);
// result_type(t, s) for a Python number s (which ranks below every tensor).
DType promote_scalar(const char* op, const Tensor& t, const Scalar& s);
// pow(tensor, number): promote_scalar; integer tensors reject negative integer exponents.
DType pow_scalar_dtype(const char* op, const Tensor& self, const Scalar& exponent);
// promote, then NotImplemented "\"<kernel>\" not implemented for 'Float'" unless the result
// is an integer type (or bool, when allowed): bitwise ops.
DType promote_integral(const char* op, const Tensor& a, const Tensor& b, const char* kernel,
                       bool allow_bool);
// where: the condition must be bool (or uint8, deprecated); promote(self, other).
DType where_dtype(const char* op, const Tensor& condition, const Tensor& self,
                  const Tensor& other);
// lerp does not promote: end (and a tensor weight) must have self's dtype.
DType lerp_dtype(const char* op, const Tensor& self, const Tensor& end, const Scalar& weight);
DType lerp_dtype(const char* op, const Tensor& self, const Tensor& end, const Tensor& weight);
// addcmul / addcdiv (is_div: integer tensor1 and tensor2 are rejected): promote all three.
DType addc_dtype(const char* op, const Tensor& self, const Tensor& tensor1, const Tensor& tensor2,
                 const Scalar& value, bool is_div);
// (end)


// ---- reductions, sort, scan (rules_reduce.cc) ----
// mean: a floating input (or a floating dtype=); integers are an error, as in PyTorch.
DType mean_dtype(const char* op, const Tensor& self, std::optional<DType> dtype);
// var / std: floating inputs only.
DType var_dtype(const char* op, const Tensor& self);
// norm: floating input; dtype= (floating) picks the result's dtype.
DType norm_dtype(const char* op, const Tensor& self, std::optional<DType> dtype);
// all / any: uint8 stays uint8 (PyTorch's legacy rule), everything else gives bool.
DType all_dtype(const char* op, const Tensor& self);
// max() / min(): a full reduction with no identity; an empty input is an error.
Shape reduce_all_nonempty(const char* op, const Tensor& self);
// reduce, for reductions without an identity (max.dim, amax, argmax): every reduced dim
// must be non-empty, and a full reduction needs a non-empty input.
Shape reduce_nonempty(const char* op, const Tensor& self, int64_t dim, bool keepdim);
Shape reduce_nonempty(const char* op, const Tensor& self, IntList dim, bool keepdim);
Shape reduce_nonempty(const char* op, const Tensor& self, std::optional<int64_t> dim,
                      bool keepdim);
// Scans and sorts: self's shape, after checking dim.
Shape scan(const char* op, const Tensor& self, int64_t dim);
// topk: self's shape with dim cut to k (0 <= k <= size of dim).
Shape topk(const char* op, const Tensor& self, int64_t k, int64_t dim);
// (end)


// ---- linear algebra (rules_linalg.cc) ----
// Both operands of one dtype: "expected scalar type Float but found Double" (mm, bmm, mv).
DType same_dtype(const char* op, const Tensor& a, const Tensor& b);
// addmm: self, mat1 and mat2 of one dtype.
DType addmm_dtype(const char* op, const Tensor& self, const Tensor& mat1, const Tensor& mat2);
DType dot_dtype(const char* op, const Tensor& a, const Tensor& b);
// dot's rule for two 1-d operands, same_dtype otherwise.
DType matmul_dtype(const char* op, const Tensor& a, const Tensor& b);
DType einsum_dtype(const char* op, const std::vector<Tensor>& tensors);
// Operand checks with PyTorch's messages ("mat1 and mat2 shapes cannot be multiplied (2x3 and
// 4x5)"); addmm / baddbmm / addmv: self must broadcast to the product's shape.
Shape mm(const char* op, const Tensor& self, const Tensor& mat2);
Shape bmm(const char* op, const Tensor& self, const Tensor& mat2);
Shape addmm(const char* op, const Tensor& self, const Tensor& mat1, const Tensor& mat2);
Shape baddbmm(const char* op, const Tensor& self, const Tensor& batch1, const Tensor& batch2);
Shape mv(const char* op, const Tensor& self, const Tensor& vec);
Shape addmv(const char* op, const Tensor& self, const Tensor& mat, const Tensor& vec);
Shape dot(const char* op, const Tensor& self, const Tensor& tensor);
Shape outer(const char* op, const Tensor& self, const Tensor& vec2);
// matmul: 1-d·1-d is dot, n-d·1-d folds to mv, n-d·2-d folds to mm, else batched with the
// batch dims broadcast; a 1-d operand's added dim is dropped from the result.
Shape matmul(const char* op, const Tensor& self, const Tensor& other);
// einsum's equation, parsed: labels 0-25 are A-Z, 26-51 a-z, kEinsumLetters + j the j-th
// dim an ellipsis covers (right-aligned across operands). Repeated subscripts within one
// operand (diagonals, traces) are rejected.
constexpr int kEinsumLetters = 52;
struct EinsumSpec {
  std::vector<std::vector<int>> inputs;  // a label per dim of each operand
  std::vector<int> output;               // the result's labels, in order
  std::vector<int64_t> sizes;            // each label's size, broadcast (-1: unused)
};
EinsumSpec einsum_spec(const char* op, const std::string& equation,
                       const std::vector<Tensor>& tensors);
Shape einsum(const char* op, const std::string& equation, const std::vector<Tensor>& tensors);
// (end)


// ---- indexing and shape (rules_index.cc) ----
// cat: tensors agree except along dim; 1-d empty tensors are skipped (PyTorch's legacy rule).
Shape cat(const char* op, const std::vector<Tensor>& tensors, int64_t dim);
Shape stack(const char* op, const std::vector<Tensor>& tensors, int64_t dim);
Shape index_select(const char* op, const Tensor& self, int64_t dim, const Tensor& index);
Shape gather(const char* op, const Tensor& self, int64_t dim, const Tensor& index);
// scatter.src / .value / .reduce / .value_reduce, scatter_add: index int64 with self's ndim,
// no larger than self (and src) apart from dim; src has self's dtype. Result: self's shape.
Shape scatter(const char* op, const Tensor& self, int64_t dim, const Tensor& index,
              const Tensor& src);
Shape scatter(const char* op, const Tensor& self, int64_t dim, const Tensor& index);
Shape scatter(const char* op, const Tensor& self, int64_t dim, const Tensor& index,
              const Tensor& src, const std::string& reduce);
Shape scatter_value_reduce(const char* op, const Tensor& self, int64_t dim, const Tensor& index,
                           const std::string& reduce);
Shape scatter_add(const char* op, const Tensor& self, int64_t dim, const Tensor& index,
                  const Tensor& src);
Shape index_add(const char* op, const Tensor& self, int64_t dim, const Tensor& index,
                const Tensor& source);
// Advanced indexing self[indices]: the result's shape. A bool mask's entry count is read
// from its values (the daemon has them; the Python twin reports that dim as None).
Shape index(const char* op, const Tensor& self, const std::vector<Tensor>& indices);
// index_put: values must broadcast to the indexing result and have self's dtype.
Shape index_put(const char* op, const Tensor& self, const std::vector<Tensor>& indices,
                const Tensor& values);
// masked_fill: mask bool (or uint8), broadcast with self; the Tensor value must be 0-d.
Shape masked_fill(const char* op, const Tensor& self, const Tensor& mask);
Shape masked_fill(const char* op, const Tensor& self, const Tensor& mask, const Tensor& value);
Shape repeat(const char* op, const Tensor& self, IntList repeats);
Shape tile(const char* op, const Tensor& self, IntList dims);
Shape repeat_interleave(const char* op, const Tensor& self, int64_t repeats,
                        std::optional<int64_t> dim);
Shape flip(const char* op, const Tensor& self, IntList dims);
Shape roll(const char* op, const Tensor& self, IntList shifts, IntList dims);
// tril / triu: at least 2 dims.
Shape triangle(const char* op, const Tensor& self, int64_t diagonal);
// constant_pad_nd: pad holds (left, right) pairs from the last dim backwards.
Shape constant_pad_nd(const char* op, const Tensor& self, IntList pad);
// pad: constant for any dims; reflect / replicate / circular for the last 1-3 dims of a
// 2-3 / 3-4 / 4-5 dim input, as torch.nn.functional.pad.
Shape pad(const char* op, const Tensor& self, IntList pad, const std::string& mode,
          std::optional<double> value);
Shape slice_backward(const char* op, const Tensor& grad_output, IntList input_sizes, int64_t dim,
                     int64_t start, int64_t end, int64_t step);
Shape select_backward(const char* op, const Tensor& grad_output, IntList input_sizes,
                      int64_t dim, int64_t index);
// PyTorch's C++ name of a dtype in messages ("Float", "Long", ...).
const char* torch_type_name(DType t);
// (end)


// ---- nn (rules_nn.cc) ----
// (end)


// ---- nn_conv: convolution and pooling (rules_nn_conv.cc) ----
// input, weight (and a defined bias) share one dtype: "expected scalar type Float but found Double".
DType conv_dtype(const char* op, const Tensor& input, const Tensor& weight, const Tensor& bias);
// convolution: batched input (N, C, L) or (N, C, H, W); stride/padding/dilation/output_padding
// hold one value or one per spatial dim. PyTorch's channel, bias and kernel-size checks.
Shape conv_shape(const char* op, const Tensor& input, const Tensor& weight, const Tensor& bias,
                 IntList stride, IntList padding, IntList dilation, bool transposed,
                 IntList output_padding, int64_t groups);
// conv1d / conv2d (k spatial dims) also take an unbatched input; the str form takes "valid" or
// "same" (stride 1 only; the output keeps the input's spatial size).
Shape conv_nd_shape(const char* op, const Tensor& input, const Tensor& weight, const Tensor& bias,
                    IntList stride, IntList padding, IntList dilation, int64_t groups, int64_t k);
Shape conv_nd_str_shape(const char* op, const Tensor& input, const Tensor& weight,
                        const Tensor& bias, IntList stride, const std::string& padding,
                        IntList dilation, int64_t groups, int64_t k);
// The total padding per spatial dim that padding="same"/"valid" means (checked).
std::vector<int64_t> same_padding(const char* op, const Tensor& weight, IntList stride,
                                  const std::string& padding, IntList dilation, int64_t k);
Shape conv_transpose_nd_shape(const char* op, const Tensor& input, const Tensor& weight,
                              const Tensor& bias, IntList stride, IntList padding,
                              IntList output_padding, int64_t groups, IntList dilation, int64_t k);
// convolution_backward's outputs: each the shape of its input, or [0] when masked off.
Shape conv_backward_input_shape(const char* op, const Tensor& grad_output, const Tensor& input,
                                const Tensor& weight, IntList stride, IntList padding,
                                IntList dilation, bool transposed, IntList output_padding,
                                int64_t groups, IntList output_mask);
Shape conv_backward_weight_shape(const char* op, const Tensor& weight, IntList output_mask);
Shape conv_backward_bias_shape(const char* op, const Tensor& weight,
                               const std::optional<Shape>& bias_sizes, bool transposed,
                               int64_t groups, IntList output_mask);
// 2-d pooling of (N, C, H, W) or (C, H, W); stride [] means kernel_size; PyTorch's output-size
// formula with ceil_mode (a last window starting in the right padding is dropped).
Shape pool2d_shape(const char* op, const Tensor& self, IntList kernel_size, IntList stride,
                   IntList padding, IntList dilation, bool ceil_mode);
Shape pool2d_backward_shape(const char* op, const Tensor& grad_output, const Tensor& self,
                            IntList kernel_size, IntList stride, IntList padding,
                            IntList dilation, bool ceil_mode, const Tensor& indices);
Shape avg_pool2d_shape(const char* op, const Tensor& self, IntList kernel_size, IntList stride,
                       IntList padding, bool ceil_mode, std::optional<int64_t> divisor_override);
Shape avg_pool2d_backward_shape(const char* op, const Tensor& grad_output, const Tensor& self,
                                IntList kernel_size, IntList stride, IntList padding,
                                bool ceil_mode, std::optional<int64_t> divisor_override);
Shape adaptive_pool2d_shape(const char* op, const Tensor& self, IntList output_size);
Shape adaptive_pool2d_backward_shape(const char* op, const Tensor& grad_output,
                                     const Tensor& self);
// (end)


// ---- nn_norm (rules_nn_norm.cc): norms, softmax, embedding, dropout, losses ----
Shape softmax(const char* op, const Tensor& self, int64_t dim);
Shape softmax_backward(const char* op, const Tensor& grad_output, const Tensor& output,
                       int64_t dim);
// layer_norm: normalized_shape non-empty, matching input's trailing dims, weight and bias.
Shape layer_norm(const char* op, const Tensor& input, IntList normalized_shape,
                 const Tensor& weight, const Tensor& bias);
// input's leading dims, then a 1 per normalized dim (mean and rstd broadcast against input).
Shape layer_norm_stats(const char* op, const Tensor& input, IntList normalized_shape);
// t's shape, or [0] when t is None (the gradient of an absent weight).
Shape shape_or_empty(const char* op, const Tensor& t);
// batch_norm: (N, C, ...) input, per-channel parameters of C elements, running statistics
// required in eval mode, more than one value per channel in training.
Shape batch_norm(const char* op, const Tensor& input, const Tensor& weight, const Tensor& bias,
                 const Tensor& running_mean, const Tensor& running_var, bool training);
Shape batch_norm_stats(const char* op, const Tensor& input, bool training);  // [C] or [0]
Shape channels(const char* op, const Tensor& input);                         // [C]
Shape group_norm_native(const char* op, const Tensor& input, const Tensor& weight,
                        const Tensor& bias, int64_t n, int64_t c, int64_t hxw, int64_t group);
Shape group_norm(const char* op, const Tensor& input, int64_t num_groups, const Tensor& weight,
                 const Tensor& bias);
Shape embedding(const char* op, const Tensor& weight, const Tensor& indices, int64_t padding_idx,
                bool sparse);
Shape embedding_backward(const char* op, const Tensor& grad_output, const Tensor& indices,
                         int64_t num_weights);
Shape dropout(const char* op, const Tensor& input, double p);  // p in [0, 1]
Shape dropout_backward(const char* op, const Tensor& grad_output, const Tensor& mask);
// Losses: reduction is "none", "mean" or "sum" (kl_div also "batchmean"); the result is
// the per-element (per-sample) shape for "none", else 0-d.
Shape nll_loss(const char* op, const Tensor& input, const Tensor& target, const Tensor& weight,
               const std::string& reduction);
// cross_entropy: class probabilities when target is floating and shaped like input, else
// class indices as nll_loss.
Shape cross_entropy(const char* op, const Tensor& input, const Tensor& target,
                    const Tensor& weight, const std::string& reduction, double label_smoothing);
DType loss_dtype(const char* op, const Tensor& input, const Tensor& target);  // floating only
Shape pointwise_loss(const char* op, const Tensor& input, const Tensor& target,
                     const std::string& reduction);
Shape smooth_l1_loss(const char* op, const Tensor& input, const Tensor& target,
                     const std::string& reduction, double beta);
Shape huber_loss(const char* op, const Tensor& input, const Tensor& target,
                 const std::string& reduction, double delta);
Shape binary_cross_entropy(const char* op, const Tensor& input, const Tensor& target,
                           const Tensor& weight, const std::string& reduction);
Shape binary_cross_entropy_with_logits(const char* op, const Tensor& input, const Tensor& target,
                                       const Tensor& weight, const std::string& reduction,
                                       const Tensor& pos_weight);
Shape kl_div(const char* op, const Tensor& input, const Tensor& target,
             const std::string& reduction);
// (end of nn_norm)


// ---- optim (rules_optim.cc) ----
// The dtype of clip_grad_norm_'s total norm: the gradients' promoted dtype (they must be
// floating), or the default float type when there are none (PyTorch's tensor(0.)).
DType clip_norm_dtype(const char* op, const std::vector<Tensor>& grads);
// (end)


// ---- nn_seq: linear, bilinear, attention, RNN cells (rules_nn_seq.cc) ----
// Every defined tensor argument has the first one's dtype ("expected scalar type Float but
// found Double"); undefined (None) ones are skipped.
DType seq_dtype(const char* op, const Tensor& a, const Tensor& b);
DType seq_dtype(const char* op, const Tensor& a, const Tensor& b, const Tensor& c);
DType seq_dtype(const char* op, const Tensor& a, const Tensor& b, const Tensor& c,
                const Tensor& d);
// linear: input (*, in), weight (out, in), bias broadcastable to (*, out) -> (*, out).
Shape linear(const char* op, const Tensor& input, const Tensor& weight, const Tensor& bias);
Shape linear_bias_grad(const char* op, const Tensor& self, const Tensor& grad_output,
                       const Tensor& weight);
// bilinear: (*, in1), (*, in2) with equal batch dims, weight (out, in1, in2) -> (*, out).
Shape bilinear(const char* op, const Tensor& input1, const Tensor& input2, const Tensor& weight,
               const Tensor& bias);
// Attention: query, key, value agree in dtype; a mask is bool or of query's dtype, and not
// given together with is_causal.
DType sdpa_dtype(const char* op, const Tensor& query, const Tensor& key, const Tensor& value,
                 const Tensor& attn_mask, bool is_causal);
// (..., L, E), (..., S, E), (..., S, Ev) -> (batch..., L, Ev), the batch dims (and the mask's)
// broadcast; sdpa_attn is the probabilities' shape (batch..., L, S).
Shape sdpa(const char* op, const Tensor& query, const Tensor& key, const Tensor& value,
           const Tensor& attn_mask, double dropout_p);
Shape sdpa_attn(const char* op, const Tensor& query, const Tensor& key, const Tensor& value,
                const Tensor& attn_mask);
// A gradient in the broadcast batch shape: grad_output's batch dims, t's last two.
Shape sdpa_grad(const char* op, const Tensor& grad_output, const Tensor& t);
// RNN cells: input (B, in) or (in), hidden (B, H) or (H), w_ih (G*H, in), w_hh (G*H, H),
// biases (G*H), G = 4 (LSTM) or 3 (GRU).
DType rnn_cell_dtype(const char* op, const Tensor& input, const std::vector<Tensor>& hx,
                     const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                     const Tensor& b_hh);
DType rnn_cell_dtype(const char* op, const Tensor& input, const Tensor& hx, const Tensor& w_ih,
                     const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh);
Shape lstm_cell(const char* op, const Tensor& input, const std::vector<Tensor>& hx,
                const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh);
Shape gru_cell(const char* op, const Tensor& input, const Tensor& hx, const Tensor& w_ih,
               const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh);
// The fused gate kernels: gates (B, 4H) with cx (B, H); igates, hgates (B, 3H) with hx (B, H).
Shape lstm_gates(const char* op, const Tensor& gates, const Tensor& cx);
Shape gru_gates(const char* op, const Tensor& igates, const Tensor& hgates, const Tensor& hx);
// (end)


}  // namespace kiln::rules

#include "engine/ops/rules_inl.h"
