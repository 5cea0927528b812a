// Activations: relu gelu silu leaky_relu elu softplus hardtanh relu6 log_sigmoid mish
// hardswish hardsigmoid. Floats compute in opmath; relu/hardtanh also take integers.
#include "kernels/cuda/launchers.h"
#include "kernels/cuda/unary_ops.cuh"

namespace kiln::cuda {
namespace {

template <typename C>
__device__ __forceinline__ C softplus1(C a) {  // log(1 + exp(a)), overflow-safe
  return a > C(20) ? a : log1p(exp(a));
}

struct Activation {
  UnaryOp op;
  Params p;
  template <typename C>
  __device__ C operator()(C a) const {
    if constexpr (std::is_floating_point_v<C>) {
      switch (op) {
        case UnaryOp::kRelu: return a < C(0) ? C(0) : a;  // NaN stays NaN
        case UnaryOp::kGelu:
          if (p.i[0] == 1) {
            const C k = C(0.7978845608028654);  // sqrt(2 / pi)
            return C(0.5) * a * (C(1) + tanh(k * (a + C(0.044715) * a * a * a)));
          }
          return C(0.5) * a * (C(1) + erf(a * C(0.7071067811865476)));
        case UnaryOp::kSilu: return a / (C(1) + exp(-a));
        case UnaryOp::kLeakyRelu: return a > C(0) ? a : a * C(p.f[0]);
        case UnaryOp::kElu: {
          const C alpha = C(p.f[0]), scale = C(p.f[1]), input_scale = C(p.f[2]);
          return a > C(0) ? a * scale : alpha * scale * expm1(a * input_scale);
        }
        case UnaryOp::kSoftplus: {
          const C beta = C(p.f[0]), threshold = C(p.f[1]);
          return a * beta > threshold ? a : log1p(exp(a * beta)) / beta;
        }
        case UnaryOp::kHardtanh: {
          const C lo = C(p.f[0]), hi = C(p.f[1]);
          if (a != a) return a;
          return a < lo ? lo : (a > hi ? hi : a);
        }
        case UnaryOp::kLogSigmoid:  // min(a, 0) - log1p(exp(-|a|))
          return (a < C(0) ? a : C(0)) - log1p(exp(-fabs(a)));
        case UnaryOp::kMish: return a * tanh(softplus1(a));
        case UnaryOp::kHardswish: {
          const C r = a + C(3);
          return a * (r < C(0) ? C(0) : (r > C(6) ? C(6) : r)) / C(6);
        }
        case UnaryOp::kHardsigmoid: {
          const C r = a + C(3);
          return (r < C(0) ? C(0) : (r > C(6) ? C(6) : r)) / C(6);
        }
        default: break;
      }
    } else {
      switch (op) {
        case UnaryOp::kRelu: return is_neg(a) ? C(0) : a;
        case UnaryOp::kHardtanh: {
          const C lo = param<C>(p, 0), hi = param<C>(p, 1);
          return a < lo ? lo : (a > hi ? hi : a);
        }
        default: break;
      }
    }
    return a;
  }
};

}  // namespace

bool launch_activation(UnaryOp op, const Iter& it, const Params& p, const Launch& l) {
  KILN_CUDA_COMPUTE(it.dtype[1], launch_elementwise<1, C>(it, l, Activation{op, p}))
}

}  // namespace kiln::cuda
