// Unary math: neg exp log... trig, rounding, abs/sign, clamp, truth tests, nan_to_num, pow
// with a number. Compute in opmath (float for float16/bfloat16).
#include "kernels/cuda/launchers.h"
#include "kernels/cuda/unary_ops.cuh"

namespace kiln::cuda {
namespace {

// One functor for the whole family: `op` is a kernel argument (uniform across the grid, so
// the switch costs a predictable branch), which keeps instantiations to one per dtype.
struct UnaryMath {
  UnaryOp op;
  Params p;
  template <typename C>
  __device__ C operator()(C a) const {
    if constexpr (std::is_floating_point_v<C>) {
      switch (op) {
        case UnaryOp::kNeg: return -a;
        case UnaryOp::kExp: return exp(a);
        case UnaryOp::kExpm1: return expm1(a);
        case UnaryOp::kLog: return log(a);
        case UnaryOp::kLog1p: return log1p(a);
        case UnaryOp::kLog2: return log2(a);
        case UnaryOp::kLog10: return log10(a);
        case UnaryOp::kSqrt: return sqrt(a);
        case UnaryOp::kRsqrt: return C(1) / sqrt(a);
        case UnaryOp::kReciprocal: return C(1) / a;
        case UnaryOp::kSin: return sin(a);
        case UnaryOp::kCos: return cos(a);
        case UnaryOp::kTan: return tan(a);
        case UnaryOp::kTanh: return tanh(a);
        case UnaryOp::kSigmoid: return C(1) / (C(1) + exp(-a));
        case UnaryOp::kErf: return erf(a);
        case UnaryOp::kAbs: return fabs(a);
        case UnaryOp::kSign: return C((C(0) < a) - (a < C(0)));
        case UnaryOp::kSquare: return a * a;
        case UnaryOp::kFloor: return floor(a);
        case UnaryOp::kCeil: return ceil(a);
        case UnaryOp::kRound: return rint(a);  // half to even, as PyTorch
        case UnaryOp::kTrunc: return trunc(a);
        case UnaryOp::kNanToNum:
          if (a != a) return C(p.f[0]);
          if (isinf(a)) return a > C(0) ? C(p.f[1]) : C(p.f[2]);
          return a;
        case UnaryOp::kPowTensorScalar: return pow(a, C(p.f[0]));
        case UnaryOp::kPowScalar: return pow(C(p.f[0]), a);
        default: break;
      }
    } else {
      switch (op) {
        case UnaryOp::kNeg:
          if constexpr (std::is_same_v<C, bool>) return a;
          else return C(std::make_unsigned_t<C>(0) - std::make_unsigned_t<C>(a));  // wraps
        case UnaryOp::kAbs:
          if constexpr (std::is_signed_v<C>) return C(a < C(0) ? -a : a);
          else return a;
        case UnaryOp::kSign:
          if constexpr (std::is_same_v<C, bool>) return a;
          else return C(int(a != C(0) && !is_neg(a)) - int(is_neg(a)));
        case UnaryOp::kSquare:
          if constexpr (std::is_same_v<C, bool>) return a;
          else return C(std::make_unsigned_t<C>(a) * std::make_unsigned_t<C>(a));  // wraps
        case UnaryOp::kFloor: case UnaryOp::kCeil: case UnaryOp::kRound: case UnaryOp::kTrunc:
        case UnaryOp::kNanToNum:
          return a;
        case UnaryOp::kPowTensorScalar: return pow_any<C>(a, param<C>(p, 0));
        case UnaryOp::kPowScalar: return pow_any<C>(param<C>(p, 0), a);
        default: break;
      }
    }
    return a;
  }
};

// clamp with optional bounds: NaN in self or a bound is NaN; min > max gives max.
struct Clamp {
  Params p;
  template <typename C>
  __device__ C operator()(C a) const {
    const int64_t has = p.i[2];
    if (is_nan(a)) return a;
    if (has & 1) {
      const C lo = param<C>(p, 0);
      if (is_nan(lo)) return lo;
      a = a < lo ? lo : a;
    }
    if (has & 2) {
      const C hi = param<C>(p, 1);
      if (is_nan(hi)) return hi;
      a = a > hi ? hi : a;
    }
    return a;
  }
};

struct Truth {
  UnaryOp op;
  template <typename C>
  __device__ bool operator()(C a) const {
    switch (op) {
      case UnaryOp::kLogicalNot: return !(a != C(0));
      case UnaryOp::kIsnan: return is_nan(a);
      case UnaryOp::kIsinf:
        if constexpr (std::is_floating_point_v<C>) return isinf(a);
        else return false;
      default:  // kIsfinite
        if constexpr (std::is_floating_point_v<C>) return isfinite(a);
        else return true;
    }
  }
};

}  // namespace

bool launch_unary(UnaryOp op, const Iter& it, const Params& p, const Launch& l) {
  switch (op) {
    case UnaryOp::kLogicalNot: case UnaryOp::kIsnan: case UnaryOp::kIsinf:
    case UnaryOp::kIsfinite:
      KILN_CUDA_COMPUTE(it.dtype[1], launch_elementwise<1, C>(it, l, Truth{op}))
    case UnaryOp::kClamp:
      KILN_CUDA_COMPUTE(it.dtype[1], launch_elementwise<1, C>(it, l, Clamp{p}))
    default:
      KILN_CUDA_COMPUTE(it.dtype[1], launch_elementwise<1, C>(it, l, UnaryMath{op, p}))
  }
}

}  // namespace kiln::cuda
