// Arithmetic of two tensors: add sub mul div (true/trunc/floor) remainder fmod pow atan2
// xlogy hypot copysign, with PyTorch's integer rules (Python's floor semantics for
// remainder and floor division, wrapping on overflow, INT_MIN / -1 never traps).
#include "kernels/cuda/launchers.h"
#include "kernels/cuda/unary_ops.cuh"

namespace kiln::cuda {
namespace {

template <typename C>
__device__ __forceinline__ C trunc_div_int(C a, C b) {
  if constexpr (std::is_signed_v<C>) {
    if (b == C(-1)) return C(std::make_unsigned_t<C>(0) - std::make_unsigned_t<C>(a));
  }
  return b == C(0) ? C(0) : C(a / b);  // zero divisors are refused on the host first
}

template <typename C>
__device__ __forceinline__ C trunc_mod_int(C a, C b) {
  if constexpr (std::is_signed_v<C>) {
    if (b == C(-1)) return C(0);
  }
  return b == C(0) ? C(0) : C(a % b);
}

template <typename C>
__device__ __forceinline__ C floor_div_float(C a, C b) {
  if (b == C(0)) return a / b;
  const C mod = fmod(a, b);
  C q = (a - mod) / b;
  if (mod != C(0) && ((b < C(0)) != (mod < C(0)))) q -= C(1);
  if (q == C(0)) return copysign(C(0), a / b);
  C f = floor(q);
  if (q - f > C(0.5)) f += C(1);
  return f;
}

struct Arith {
  BinaryOp op;
  Params p;
  template <typename C>
  __device__ C operator()(C a, C b) const {
    if constexpr (std::is_same_v<C, bool>) {
      switch (op) {
        case BinaryOp::kAdd: return a || (p.i[0] != 0 && b);
        case BinaryOp::kMul: return a && b;
        default: return a;
      }
    } else if constexpr (std::is_floating_point_v<C>) {
      switch (op) {
        case BinaryOp::kAdd: return a + C(p.f[0]) * b;
        case BinaryOp::kSub: return a - C(p.f[0]) * b;
        case BinaryOp::kMul: return a * b;
        case BinaryOp::kDiv: return a / b;
        case BinaryOp::kDivTrunc: return trunc(a / b);
        case BinaryOp::kDivFloor: return floor_div_float(a, b);
        case BinaryOp::kRemainder: {
          C r = fmod(a, b);
          if (r != C(0) && ((b < C(0)) != (r < C(0)))) r += b;
          return r;
        }
        case BinaryOp::kFmod: return fmod(a, b);
        case BinaryOp::kPow: return pow(a, b);
        case BinaryOp::kAtan2: return atan2(a, b);
        case BinaryOp::kXlogy:
          if (b != b) return b;
          if (a == C(0)) return C(0);
          return a * log(b);
        case BinaryOp::kHypot: return hypot(a, b);
        case BinaryOp::kCopysign: return copysign(a, b);
        default: return a;
      }
    } else {
      using U = std::make_unsigned_t<C>;
      switch (op) {
        case BinaryOp::kAdd: return C(U(a) + U(param<C>(p, 0)) * U(b));
        case BinaryOp::kSub: return C(U(a) - U(param<C>(p, 0)) * U(b));
        case BinaryOp::kMul: return C(U(a) * U(b));
        case BinaryOp::kDiv: case BinaryOp::kDivTrunc: return trunc_div_int(a, b);
        case BinaryOp::kDivFloor: {
          const C q = trunc_div_int(a, b);
          if constexpr (std::is_signed_v<C>) {
            if (trunc_mod_int(a, b) != 0 && ((a < 0) != (b < 0))) return C(q - 1);
          }
          return q;
        }
        case BinaryOp::kRemainder: {
          C r = trunc_mod_int(a, b);
          if constexpr (std::is_signed_v<C>) {
            if (r != 0 && ((r < 0) != (b < 0))) r = C(r + b);
          }
          return r;
        }
        case BinaryOp::kFmod: return trunc_mod_int(a, b);
        case BinaryOp::kPow: return int_pow(a, b);
        default: return a;
      }
    }
  }
};

__global__ void any_zero_kernel(Iter it, int32_t* flag) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < it.numel; i += stride) {
    // Racing writes all store 1.
    if (load_dyn<int64_t>(it.data[1], arg_offset(it, 1, i), it.dtype[1]) == 0) *flag = 1;
  }
}

}  // namespace

bool launch_binary(BinaryOp op, const Iter& it, const Params& p, const Launch& l) {
  KILN_CUDA_COMPUTE(it.dtype[1], launch_elementwise<2, C>(it, l, Arith{op, p}))
}

bool launch_any_zero(const Iter& it, int32_t* flag, const Launch& l) {
  if (it.numel == 0) return true;
  any_zero_kernel<<<blocks_for(it.numel, l), kThreads, 0, l.stream>>>(it, flag);
  return true;
}

}  // namespace kiln::cuda
