// Rules of the binary ops.
#include <cmath>
#include <limits>

#include "engine/ops/rules.h"

namespace kiln::rules {

namespace {

int category(DType t) {
  if (t == DType::kBool) return 1;
  return is_floating(t) ? 3 : 2;
}

// The finite range of a dtype, as doubles.
void limits(DType t, double* lo, double* hi) {
  switch (t) {
    case DType::kUInt8: *lo = 0; *hi = 255; return;
    case DType::kInt8: *lo = -128; *hi = 127; return;
    case DType::kInt32: *lo = -2147483648.0; *hi = 2147483647.0; return;
    case DType::kInt64: *lo = -9223372036854775808.0; *hi = 9223372036854775807.0; return;
    case DType::kFloat16: *lo = -65504.0; *hi = 65504.0; return;
    case DType::kBFloat16: *lo = -3.3895313892515355e38; *hi = 3.3895313892515355e38; return;
    case DType::kFloat32:
      *lo = -double(std::numeric_limits<float>::max());
      *hi = double(std::numeric_limits<float>::max());
      return;
    default:
      *lo = -std::numeric_limits<double>::infinity();
      *hi = std::numeric_limits<double>::infinity();
  }
}

}  // namespace

void check_scalar_fits(const char* op, const Scalar& s, DType dtype) {
  if (s.is_bool() || dtype == DType::kBool || dtype == DType::kFloat64) return;
  bool overflows = false;
  double lo, hi;
  limits(dtype, &lo, &hi);
  if (s.is_integral()) {
    const int64_t v = s.to_int();
    if (dtype == DType::kInt64) return;
    if (dtype == DType::kUInt8) {
      overflows = v > 255 || v < -255;  // negative numbers may wrap (a - b is a + 255 * b)
    } else {
      overflows = double(v) < lo || double(v) > hi;
    }
  } else {
    const double v = s.to_double();
    if (std::isinf(v) && is_floating(dtype)) return;
    overflows = std::isnan(v) ? !is_floating(dtype) : (v < lo || v > hi);
  }
  KILN_CHECK(!overflows, op, ": value cannot be converted to type ", dtype, " without overflow");
}

DType promote_alpha(const char* op, const Tensor& a, const Tensor& b, const Scalar& alpha) {
  const DType r = promote(op, a, b);
  KILN_CHECK(is_floating(r) || !alpha.is_floating(), op,
             ": For integral input tensors, argument alpha must not be a floating point number.");
  KILN_CHECK(r == DType::kBool || !alpha.is_bool(), op,
             ": Boolean alpha only supported for Boolean results.");
  check_scalar_fits(op, alpha, r);
  return r;
}

DType div_mode_dtype(const char* op, const Tensor& a, const Tensor& b,
                     const std::optional<std::string>& rounding_mode) {
  KILN_CHECK_VALUE(!rounding_mode || *rounding_mode == "trunc" || *rounding_mode == "floor", op,
                   ": expected rounding_mode to be one of None, 'trunc', or 'floor' but found '",
                   *rounding_mode, "'");
  return div_dtype(op, a, b, rounding_mode);
}

DType promote_sub(const char* op, const Tensor& a, const Tensor& b, const Scalar& alpha) {
  const bool ba = a.dtype() == DType::kBool, bb = b.dtype() == DType::kBool;
  KILN_CHECK(!(ba && bb), op,
             ": Subtraction, the `-` operator, with two bool tensors is not supported. Use the "
             "`^` or `logical_xor()` operator instead.");
  KILN_CHECK(!(ba || bb), op,
             ": Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
             "trying to invert a mask, use the `~` or `logical_not()` operator instead.");
  return promote_alpha(op, a, b, alpha);
}

DType promote_scalar(const char*, const Tensor& t, const Scalar& s) {
  const DType sd = s.is_floating() ? default_float_dtype() : s.dtype();
  if (t.is_wrapped_number()) {
    const DType td = is_floating(t.dtype()) ? default_float_dtype() : t.dtype();
    return promote_types(td, sd);
  }
  return category(sd) > category(t.dtype()) ? promote_types(t.dtype(), sd) : t.dtype();
}

DType pow_scalar_dtype(const char* op, const Tensor& self, const Scalar& exponent) {
  const DType r = promote_scalar(op, self, exponent);
  if (!is_floating(r) && exponent.is_integral()) {
    KILN_CHECK(exponent.to_int() >= 0, op, ": Integers to negative integer powers are not allowed.");
  }
  // The exponent converts to the compute type, except that float32 takes any (1e39 is inf).
  if (r != DType::kFloat32) check_scalar_fits(op, exponent, r);
  return r;
}

DType promote_integral(const char* op, const Tensor& a, const Tensor& b, const char* kernel,
                       bool allow_bool) {
  const DType r = promote(op, a, b);
  KILN_CHECK_NOT_IMPLEMENTED(!is_floating(r) && (allow_bool || r != DType::kBool), op, ": \"",
                             kernel, "\" not implemented for '", torch_type_name(r), "'");
  return r;
}

DType where_dtype(const char* op, const Tensor& condition, const Tensor& self,
                  const Tensor& other) {
  KILN_CHECK(condition.dtype() == DType::kBool || condition.dtype() == DType::kUInt8, op,
             ": expected condition to be a boolean tensor, but got a tensor with dtype ",
             condition.dtype());
  const DType r = promote(op, self, other);
  // A Python number must fit the result (where(c, uint8_tensor, 300) is an error).
  for (const Tensor* t : {&self, &other}) {
    if (t->is_wrapped_number()) check_scalar_fits(op, t->item(), r);
  }
  return r;
}

DType lerp_dtype(const char* op, const Tensor& self, const Tensor& end, const Scalar& weight) {
  KILN_CHECK(self.dtype() == end.dtype(), op, ": expected dtype ", self.dtype(),
             " for `end` but got dtype ", end.dtype());
  // The weight is applied in the compute type (float for the half types).
  if (is_floating(self.dtype())) {
    check_scalar_fits(op, weight,
                      self.dtype() == DType::kFloat64 ? DType::kFloat64 : DType::kFloat32);
  }
  return self.dtype();
}

DType lerp_dtype(const char* op, const Tensor& self, const Tensor& end, const Tensor& weight) {
  KILN_CHECK(self.dtype() == end.dtype(), op, ": expected dtype ", self.dtype(),
             " for `end` but got dtype ", end.dtype());
  KILN_CHECK(self.dtype() == weight.dtype(), op, ": expected dtype ", self.dtype(),
             " for `weight` but got dtype ", weight.dtype());
  return self.dtype();
}

DType addc_dtype(const char* op, const Tensor& self, const Tensor& tensor1, const Tensor& tensor2,
                 const Scalar& value, bool is_div) {
  if (is_div) {
    KILN_CHECK(!(is_integral(tensor1.dtype(), true) && is_integral(tensor2.dtype(), true)), op,
               ": Integer division with addcdiv is no longer supported, and in a future  release "
               "addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv "
               "behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2))"
               ".to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) "
               "for float inputs. The future addcdiv behavior is just the latter implementation: "
               "(input + value * tensor1 / tensor2), for all dtypes.");
  }
  const DType r = promote(op, {&self, &tensor1, &tensor2});
  check_scalar_fits(op, value, r);
  return r;
}

}  // namespace kiln::rules
