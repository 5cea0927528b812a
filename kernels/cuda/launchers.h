// The .cu entry points, called by the host wrappers (*.cc). Each returns false when it has
// no kernel for the dtypes in `it` (the wrapper turns that into a clear error).
#pragma once

#include "kernels/cuda/launch_args.h"

namespace kiln::cuda {

// copy.cu. it: (out) / (out, src).
bool launch_fill(const Iter& it, const Params& p, const Launch& l);
bool launch_copy(const Iter& it, const Launch& l);

}  // namespace kiln::cuda

namespace kiln::cuda {

// unary.cu / unary_activation.cu. it: (out, a). Params per op as noted.
enum class UnaryOp : int32_t {
  kNeg, kExp, kExpm1, kLog, kLog1p, kLog2, kLog10, kSqrt, kRsqrt, kReciprocal, kSin, kCos,
  kTan, kTanh, kSigmoid, kErf, kAbs, kSign, kSquare, kFloor, kCeil, kRound, kTrunc,
  kClamp,       // f/i[0] min, f/i[1] max, i[2] bit 0: has min, bit 1: has max
  kLogicalNot, kIsnan, kIsinf, kIsfinite,  // out bool
  kNanToNum,    // f[0] nan, f[1] posinf, f[2] neginf (already defaulted for the dtype)
  kPowTensorScalar,  // f/i[0] exponent
  kPowScalar,        // f/i[0] base; a is the exponent
  // unary_activation.cu:
  kRelu, kGelu /* i[0]: 1 = tanh */, kSilu, kLeakyRelu /* f[0] */, kElu /* f[0..2] */,
  kSoftplus /* f[0] beta, f[1] threshold */, kHardtanh /* f/i[0..1] */, kLogSigmoid, kMish,
  kHardswish, kHardsigmoid,
};
bool launch_unary(UnaryOp op, const Iter& it, const Params& p, const Launch& l);
bool launch_activation(UnaryOp op, const Iter& it, const Params& p, const Launch& l);

}  // namespace kiln::cuda

namespace kiln::cuda {

// binary.cu / compare.cu. it: (out, a, b); out has a's dtype except for the bool-valued ops.
enum class BinaryOp : int32_t {
  kAdd /* f/i[0] alpha */, kSub /* f/i[0] alpha */, kMul, kDiv, kDivTrunc, kDivFloor,
  kRemainder, kFmod, kPow, kAtan2, kXlogy, kHypot, kCopysign,
  // compare.cu:
  kMaximum, kMinimum, kFmax, kFmin, kBitAnd, kBitOr, kBitXor, kShl, kShr,
  kEq, kNe, kLt, kLe, kGt, kGe, kLogicalAnd, kLogicalOr, kLogicalXor,  // out bool
};
bool launch_binary(BinaryOp op, const Iter& it, const Params& p, const Launch& l);
bool launch_compare(BinaryOp op, const Iter& it, const Launch& l);
// Sets *flag (device int32, zeroed by the caller) to 1 if any element of it's arg 1 is 0.
bool launch_any_zero(const Iter& it, int32_t* flag, const Launch& l);

// ternary.cu.
// where: it (out, cond, a, b) with cond bool/uint8 and a, b of out's dtype.
bool launch_where(const Iter& it, const Launch& l);
enum class TernaryOp : int32_t {
  kLerpScalar /* (out, a, b), f[0] weight */, kLerpTensor /* (out, a, b, w) */,
  kAddcmul /* (out, s, t1, t2), f/i[0] value */, kAddcdiv /* f[0] value */,
  kClampBoth /* (out, a, lo, hi) */, kClampLo /* (out, a, lo) */, kClampHi /* (out, a, hi) */,
};
bool launch_ternary(TernaryOp op, const Iter& it, const Params& p, const Launch& l);

}  // namespace kiln::cuda
