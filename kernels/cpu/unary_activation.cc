// Before any include: lets GCC if-convert vec_math.h's selects (see there).
#pragma GCC optimize("no-trapping-math")

// Activations (torch.nn.functional), floating unless noted; float32 through vec_math.h.
#include <cmath>
#include <type_traits>

#include "kernels/cpu/loops.h"
#include "kernels/cpu/unary.h"
#include "kernels/cpu/unary_loops.h"
#include "kernels/cpu/vec_math.h"

namespace kiln::cpu {

namespace {

template <typename M>
inline M exp_(M x) {
  if constexpr (is_f32<M>) return vec::exp(x);
  else return std::exp(x);
}

template <typename M>
inline M tanh_(M x) {
  if constexpr (is_f32<M>) return vec::tanh(x);
  else return std::tanh(x);
}

// log(1 + e^x) for x below the linear threshold. float32: 1 + e^x rounds to 1 for x < -17,
// an absolute error below 4e-8, where log1p would keep the loop scalar.
template <typename M>
inline M softplus_(M x) {
  if constexpr (is_f32<M>) return vec::log(1.0f + vec::exp(x));
  else return std::log1p(std::exp(x));
}

// relu6 / hardtanh with NaN passing through (integers too: clamp's rules).
template <typename M>
inline M clip(M x, M lo, M hi) {
  x = x < lo ? lo : x;
  return x > hi ? hi : x;
}

}  // namespace

void relu(const Tensor& out, const Tensor& a) {
  KILN_DISPATCH_NUMERIC(out.dtype(), "relu", [&]<typename scalar_t>() {
    using M = opmath_t<scalar_t>;
    // `x < 0 ? 0 : x`, not max(x, 0): NaN stays NaN.
    unary_kernel<scalar_t>(out, a, [](scalar_t x) { return M(x) < M(0) ? scalar_t(M(0)) : x; });
  });
}

void gelu(const Tensor& out, const Tensor& a, const std::string& approximate) {
  if (approximate == "tanh") {
    floating_unary(out, a, "gelu", []<typename M>(M x) {
      const M k = M(0.7978845608028654);  // sqrt(2 / pi)
      const M inner = k * (x + M(0.044715) * x * x * x);
      return M(0.5) * x * (M(1) + tanh_(inner));
    });
    return;
  }
  floating_unary(out, a, "gelu", []<typename M>(M x) {
    const M erf = [&] {
      if constexpr (is_f32<M>) return vec::erf(x * M(0.7071067811865476));
      else return std::erf(x * M(0.7071067811865476));
    }();
    return M(0.5) * x * (M(1) + erf);
  });
}

void silu(const Tensor& out, const Tensor& a) {
  floating_unary(out, a, "silu", []<typename M>(M x) { return x / (M(1) + exp_(-x)); });
}

void leaky_relu(const Tensor& out, const Tensor& a, const Scalar& negative_slope) {
  const double slope = negative_slope.to_double();
  floating_unary(out, a, "leaky_relu", [slope]<typename M>(M x) {
    return x > M(0) ? x : x * M(slope);
  });
}

void elu(const Tensor& out, const Tensor& a, const Scalar& alpha, const Scalar& scale,
         const Scalar& input_scale) {
  const double neg = alpha.to_double() * scale.to_double(), pos = scale.to_double(),
               in = input_scale.to_double();
  floating_unary(out, a, "elu", [=]<typename M>(M x) {
    M em1;
    if constexpr (is_f32<M>) em1 = vec::exp(x * M(in)) - M(1);
    else em1 = std::expm1(x * M(in));
    return x > M(0) ? x * M(pos) : M(neg) * em1;
  });
}

void softplus(const Tensor& out, const Tensor& a, const Scalar& beta, const Scalar& threshold) {
  const double b = beta.to_double(), th = threshold.to_double();
  floating_unary(out, a, "softplus", [=]<typename M>(M x) {
    const M bx = x * M(b);
    return bx > M(th) ? x : softplus_(bx) / M(b);
  });
}

void hardtanh(const Tensor& out, const Tensor& a, const Scalar& min_val, const Scalar& max_val) {
  KILN_DISPATCH_NUMERIC(out.dtype(), "hardtanh", [&]<typename scalar_t>() {
    using M = opmath_t<scalar_t>;
    const M lo = min_val.to<M>(), hi = max_val.to<M>();
    unary_kernel<scalar_t>(out, a, [=](scalar_t x) { return scalar_t(clip(M(x), lo, hi)); });
  });
}

void relu6(const Tensor& out, const Tensor& a) {
  KILN_DISPATCH_NUMERIC(out.dtype(), "relu6", [&]<typename scalar_t>() {
    using M = opmath_t<scalar_t>;
    unary_kernel<scalar_t>(out, a, [](scalar_t x) { return scalar_t(clip(M(x), M(0), M(6))); });
  });
}

void log_sigmoid(const Tensor& out, const Tensor& a) {
  // min(x, 0) - log(1 + e^-|x|): e^-|x| <= 1 never overflows.
  floating_unary(out, a, "log_sigmoid", []<typename M>(M x) {
    const M ax = x < M(0) ? -x : x;
    const M m = x < M(0) ? x : M(0);
    return m - softplus_(-ax);
  });
}

void mish(const Tensor& out, const Tensor& a) {
  // softplus(x) for x > 20 is x itself; tanh of either is 1 in float there.
  floating_unary(out, a, "mish", []<typename M>(M x) {
    const M sp = x > M(20) ? x : softplus_(x);
    return x * tanh_(sp);
  });
}

void hardswish(const Tensor& out, const Tensor& a) {
  floating_unary(out, a, "hardswish", []<typename M>(M x) {
    return x * clip(x + M(3), M(0), M(6)) / M(6);
  });
}

void hardsigmoid(const Tensor& out, const Tensor& a) {
  floating_unary(out, a, "hardsigmoid", []<typename M>(M x) {
    return clip(x + M(3), M(0), M(6)) / M(6);
  });
}

}  // namespace kiln::cpu
