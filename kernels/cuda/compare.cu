// Comparisons (bool out), maximum/minimum (NaN wins), fmax/fmin (NaN loses), logical and
// bitwise ops, shifts (a shift by a negative count or past the width shifts every bit out;
// a right shift of a negative value fills with the sign).
#include "kernels/cuda/launchers.h"
#include "kernels/cuda/unary_ops.cuh"

namespace kiln::cuda {
namespace {

struct Select {  // maximum minimum fmax fmin bitwise shifts: out has the inputs' dtype
  BinaryOp op;
  template <typename C>
  __device__ C operator()(C a, C b) const {
    switch (op) {
      case BinaryOp::kMaximum:
        if (is_nan(a) || is_nan(b)) return is_nan(a) ? a : b;
        return a > b ? a : b;
      case BinaryOp::kMinimum:
        if (is_nan(a) || is_nan(b)) return is_nan(a) ? a : b;
        return a < b ? a : b;
      case BinaryOp::kFmax:
        if (is_nan(a)) return b;
        if (is_nan(b)) return a;
        return a > b ? a : b;
      case BinaryOp::kFmin:
        if (is_nan(a)) return b;
        if (is_nan(b)) return a;
        return a < b ? a : b;
      default: break;
    }
    if constexpr (std::is_integral_v<C>) {
      switch (op) {
        case BinaryOp::kBitAnd: return C(a & b);
        case BinaryOp::kBitOr: return C(a | b);
        case BinaryOp::kBitXor: return C(a ^ b);
        default: break;
      }
      if constexpr (!std::is_same_v<C, bool>) {
        using U = std::make_unsigned_t<C>;
        constexpr C kBits = C(sizeof(C) * 8);
        const bool in_range = !is_neg(b) && b < kBits;
        if (op == BinaryOp::kShl) return in_range ? C(U(U(a) << (in_range ? b : 0))) : C(0);
        if (op == BinaryOp::kShr) {
          if constexpr (std::is_signed_v<C>) return C(a >> (in_range ? b : C(kBits - 1)));
          else return in_range ? C(a >> b) : C(0);
        }
      }
    }
    return a;
  }
};

struct Compare {  // bool out
  BinaryOp op;
  template <typename C>
  __device__ bool operator()(C a, C b) const {
    switch (op) {
      case BinaryOp::kEq: return a == b;
      case BinaryOp::kNe: return a != b;
      case BinaryOp::kLt: return a < b;
      case BinaryOp::kLe: return a <= b;
      case BinaryOp::kGt: return a > b;
      case BinaryOp::kGe: return a >= b;
      case BinaryOp::kLogicalAnd: return (a != C(0)) && (b != C(0));
      case BinaryOp::kLogicalOr: return (a != C(0)) || (b != C(0));
      default: return (a != C(0)) != (b != C(0));  // kLogicalXor
    }
  }
};

}  // namespace

bool launch_compare(BinaryOp op, const Iter& it, const Launch& l) {
  if (op >= BinaryOp::kEq) {
    KILN_CUDA_COMPUTE(it.dtype[1], launch_elementwise<2, C>(it, l, Compare{op}))
  }
  KILN_CUDA_COMPUTE(it.dtype[1], launch_elementwise<2, C>(it, l, Select{op}))
}

}  // namespace kiln::cuda
