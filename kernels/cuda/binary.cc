#include "kernels/cuda/binary.h"

#include "kernels/cuda/iter.h"
#include "kernels/cuda/launchers.h"

namespace kiln::cuda {
namespace {

bool is_int(DType d) {
  return d == DType::kUInt8 || d == DType::kInt8 || d == DType::kInt32 || d == DType::kInt64;
}

// PyTorch raises for integer division by zero; finding out costs one small device->host
// read, paid only by integer division.
void check_no_int_zero(const Tensor& b, Device dev, const Launch& l) {
  if (!is_int(b.dtype()) || b.numel() == 0) return;
  Tensor flag = empty_tensor({1}, DType::kInt32, dev);
  check(cudaMemsetAsync(flag.raw_data(), 0, 4, l.stream), "div");
  const Tensor bd = on_device(b, dev);
  // Arg 1 of the iter is b itself (arg 0 is only a shape carrier: nothing writes it).
  IterHolder h = make_iter("div", bd, {bd});
  finish("div", launch_any_zero(h.it, static_cast<int32_t*>(flag.raw_data()), l), b.dtype());
  int32_t found = 0;
  copy_bytes(&found, kCPU, flag.raw_data(), dev, 4);
  KILN_CHECK_VALUE(found == 0, "ZeroDivisionError: integer division by zero");
}

void run(const char* name, BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b,
         const Params& p = {}) {
  if (out.numel() == 0) return;
  OpScope s(out);
  IterHolder h = make_iter(name, out, {a, b});
  const bool handled = op >= BinaryOp::kMaximum ? launch_compare(op, h.it, s.launch())
                                                : launch_binary(op, h.it, p, s.launch());
  finish(name, handled, a.dtype());
}

void run_div(const char* name, BinaryOp op, const Tensor& out, const Tensor& a,
             const Tensor& b) {
  if (out.numel() == 0) return;
  {
    OpScope s(out);
    check_no_int_zero(b, out.device(), s.launch());
  }
  run(name, op, out, a, b);
}

}  // namespace

void add(const Tensor& out, const Tensor& a, const Tensor& b, const Scalar& alpha) {
  run("add", BinaryOp::kAdd, out, a, b, params({alpha}));
}
void sub(const Tensor& out, const Tensor& a, const Tensor& b, const Scalar& alpha) {
  run("sub", BinaryOp::kSub, out, a, b, params({alpha}));
}
void mul(const Tensor& out, const Tensor& a, const Tensor& b) {
  run("mul", BinaryOp::kMul, out, a, b);
}

void div(const Tensor& out, const Tensor& a, const Tensor& b,
         const std::optional<std::string>& rounding_mode) {
  const std::string mode = rounding_mode.value_or("");
  KILN_CHECK_VALUE(mode.empty() || mode == "trunc" || mode == "floor",
                   "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '",
                   mode, "'");
  run_div("div", mode == "floor" ? BinaryOp::kDivFloor
                 : mode == "trunc" ? BinaryOp::kDivTrunc
                                   : BinaryOp::kDiv,
          out, a, b);
}
void remainder(const Tensor& out, const Tensor& a, const Tensor& b) {
  run_div("remainder", BinaryOp::kRemainder, out, a, b);
}
void fmod(const Tensor& out, const Tensor& a, const Tensor& b) {
  run_div("fmod", BinaryOp::kFmod, out, a, b);
}
void floor_divide(const Tensor& out, const Tensor& a, const Tensor& b) {
  run_div("floor_divide", BinaryOp::kDivFloor, out, a, b);
}

void pow_tensor_tensor(const Tensor& out, const Tensor& base, const Tensor& exponent) {
  run("pow", BinaryOp::kPow, out, base, exponent);
}
void pow_tensor_scalar(const Tensor& out, const Tensor& base, const Scalar& exponent) {
  if (out.numel() == 0) return;
  OpScope s(out);
  IterHolder h = make_iter("pow", out, {base});
  finish("pow", launch_unary(UnaryOp::kPowTensorScalar, h.it, params({exponent}), s.launch()),
         base.dtype());
}
void pow_scalar(const Tensor& out, const Scalar& base, const Tensor& exponent) {
  if (out.numel() == 0) return;
  OpScope s(out);
  IterHolder h = make_iter("pow", out, {exponent});
  finish("pow", launch_unary(UnaryOp::kPowScalar, h.it, params({base}), s.launch()),
         exponent.dtype());
}

#define KILN_CUDA_BINARY(fn, code)                              \
  void fn(const Tensor& out, const Tensor& a, const Tensor& b) { \
    run(#fn, BinaryOp::code, out, a, b);                         \
  }
KILN_CUDA_BINARY(eq, kEq)
KILN_CUDA_BINARY(ne, kNe)
KILN_CUDA_BINARY(lt, kLt)
KILN_CUDA_BINARY(le, kLe)
KILN_CUDA_BINARY(gt, kGt)
KILN_CUDA_BINARY(ge, kGe)
KILN_CUDA_BINARY(maximum, kMaximum)
KILN_CUDA_BINARY(minimum, kMinimum)
KILN_CUDA_BINARY(fmax, kFmax)
KILN_CUDA_BINARY(fmin, kFmin)
KILN_CUDA_BINARY(logical_and, kLogicalAnd)
KILN_CUDA_BINARY(logical_or, kLogicalOr)
KILN_CUDA_BINARY(logical_xor, kLogicalXor)
KILN_CUDA_BINARY(bitwise_and, kBitAnd)
KILN_CUDA_BINARY(bitwise_or, kBitOr)
KILN_CUDA_BINARY(bitwise_xor, kBitXor)
KILN_CUDA_BINARY(bitwise_left_shift, kShl)
KILN_CUDA_BINARY(bitwise_right_shift, kShr)
KILN_CUDA_BINARY(atan2, kAtan2)
KILN_CUDA_BINARY(xlogy, kXlogy)
KILN_CUDA_BINARY(hypot, kHypot)
KILN_CUDA_BINARY(copysign, kCopysign)
#undef KILN_CUDA_BINARY

void where(const Tensor& out, const Tensor& condition, const Tensor& a, const Tensor& b) {
  if (out.numel() == 0) return;
  OpScope s(out);
  IterHolder h = make_iter("where", out, {condition, a, b});
  finish("where", launch_where(h.it, s.launch()), out.dtype());
}

void lerp_scalar(const Tensor& out, const Tensor& self, const Tensor& end, const Scalar& weight) {
  if (out.numel() == 0) return;
  OpScope s(out);
  IterHolder h = make_iter("lerp", out, {self, end});
  finish("lerp", launch_ternary(TernaryOp::kLerpScalar, h.it, params({weight}), s.launch()),
         out.dtype());
}

namespace {
void run3(const char* name, TernaryOp op, const Tensor& out, const Tensor& a, const Tensor& b,
          const Tensor& c, const Params& p) {
  if (out.numel() == 0) return;
  OpScope s(out);
  IterHolder h = make_iter(name, out, {a, b, c});
  finish(name, launch_ternary(op, h.it, p, s.launch()), out.dtype());
}
}  // namespace

void lerp_tensor(const Tensor& out, const Tensor& self, const Tensor& end, const Tensor& weight) {
  run3("lerp", TernaryOp::kLerpTensor, out, self, end, weight, {});
}
void addcmul(const Tensor& out, const Tensor& self, const Tensor& t1, const Tensor& t2,
             const Scalar& value) {
  run3("addcmul", TernaryOp::kAddcmul, out, self, t1, t2, params({value}));
}
void addcdiv(const Tensor& out, const Tensor& self, const Tensor& t1, const Tensor& t2,
             const Scalar& value) {
  run3("addcdiv", TernaryOp::kAddcdiv, out, self, t1, t2, params({value}));
}

}  // namespace kiln::cuda
