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

// The dims a reduction covers, wrapped and checked for duplicates; all dims when empty.
std::vector<int64_t> reduce_dims(const char* op, const Tensor& self,
                                 const std::optional<Shape>& dim);

// ---- creation and random (rules_creation.cc) ----
// (end)


// ---- unary (rules_unary.cc) ----
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
// (end)


// ---- linear algebra (rules_linalg.cc) ----
// (end)


// ---- indexing and shape (rules_index.cc) ----
// (end)


// ---- nn (rules_nn.cc) ----
// (end)


// ---- optim (rules_optim.cc) ----
// The dtype of clip_grad_norm_'s total norm: the gradients' promoted dtype (they must be
// floating), or the default float type when there are none (PyTorch's tensor(0.)).
DType clip_norm_dtype(const char* op, const std::vector<Tensor>& grads);
// (end)


}  // namespace kiln::rules

#include "engine/ops/rules_inl.h"
