// where, lerp, addcmul, addcdiv, clamp with tensor bounds.
#include "kernels/cuda/launchers.h"
#include "kernels/cuda/unary_ops.cuh"

namespace kiln::cuda {
namespace {

// cond is bool or uint8 (1 byte, nonzero is true); a, b and out share a dtype, moved as
// raw elements of its width (U).
template <typename T>
__global__ void __launch_bounds__(kThreads) where_kernel(Iter it) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < it.numel; i += stride) {
    const bool c = static_cast<const uint8_t*>(it.data[1])[arg_offset(it, 1, i)] != 0;
    const int k = c ? 2 : 3;
    static_cast<T*>(it.data[0])[arg_offset(it, 0, i)] =
        static_cast<const T*>(it.data[k])[arg_offset(it, k, i)];
  }
}

struct Lerp2 {  // weight a number
  Params p;
  template <typename C>
  __device__ C operator()(C a, C b) const {
    const C w = C(p.f[0]);
    return w < C(0.5) ? a + w * (b - a) : b - (b - a) * (C(1) - w);
  }
};

struct Ternary {
  TernaryOp op;
  Params p;
  template <typename C>
  __device__ C operator()(C a, C b, C c) const {
    switch (op) {
      case TernaryOp::kLerpTensor:
        if constexpr (std::is_floating_point_v<C>) {
          return c < C(0.5) ? a + c * (b - a) : b - (b - a) * (C(1) - c);
        }
        break;
      case TernaryOp::kAddcmul:
        if constexpr (!std::is_same_v<C, bool>) return C(a + param<C>(p, 0) * b * c);
        break;
      case TernaryOp::kAddcdiv:
        if constexpr (std::is_floating_point_v<C>) return a + C(p.f[0]) * b / c;
        break;
      case TernaryOp::kClampBoth:
        if (is_nan(a)) return a;
        if (is_nan(b)) return b;
        if (is_nan(c)) return c;
        a = a < b ? b : a;
        return a > c ? c : a;
      default: break;
    }
    return a;
  }
};

struct ClampOne {
  bool lo;
  template <typename C>
  __device__ C operator()(C a, C bound) const {
    if (is_nan(a)) return a;
    if (is_nan(bound)) return bound;
    return lo ? (a < bound ? bound : a) : (a > bound ? bound : a);
  }
};

}  // namespace

bool launch_where(const Iter& it, const Launch& l) {
  if (it.numel == 0) return true;
  KILN_CUDA_BY_SIZE(it.dtype[0],
                    where_kernel<U><<<blocks_for(it.numel, l), kThreads, 0, l.stream>>>(it))
}

bool launch_ternary(TernaryOp op, const Iter& it, const Params& p, const Launch& l) {
  switch (op) {
    case TernaryOp::kLerpScalar:
      KILN_CUDA_COMPUTE(it.dtype[1], launch_elementwise<2, C>(it, l, Lerp2{p}))
    case TernaryOp::kClampLo: case TernaryOp::kClampHi:
      KILN_CUDA_COMPUTE(it.dtype[1],
                        launch_elementwise<2, C>(it, l, ClampOne{op == TernaryOp::kClampLo}))
    default:
      KILN_CUDA_COMPUTE(it.dtype[1], launch_elementwise<3, C>(it, l, Ternary{op, p}))
  }
}

}  // namespace kiln::cuda
