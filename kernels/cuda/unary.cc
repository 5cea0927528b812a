#include "kernels/cuda/unary.h"

#include <cfloat>

#include "kernels/cuda/iter.h"
#include "kernels/cuda/launchers.h"

namespace kiln::cuda {
namespace {

void run(const char* name, UnaryOp op, const Tensor& out, const Tensor& a, const Params& p = {}) {
  if (out.numel() == 0) return;
  OpScope s(out);
  IterHolder h = make_iter(name, out, {a});
  const bool handled = op >= UnaryOp::kRelu ? launch_activation(op, h.it, p, s.launch())
                                            : launch_unary(op, h.it, p, s.launch());
  finish(name, handled, a.dtype());
}

void clamp_scalars(const char* name, const Tensor& out, const Tensor& a,
                   const std::optional<Scalar>& lo, const std::optional<Scalar>& hi) {
  Params p = params({lo.value_or(Scalar(0)), hi.value_or(Scalar(0))});
  p.i[2] = (lo ? 1 : 0) | (hi ? 2 : 0);
  run(name, UnaryOp::kClamp, out, a, p);
}

}  // namespace

#define KILN_CUDA_UNARY(fn, code) \
  void fn(const Tensor& out, const Tensor& a) { run(#fn, UnaryOp::code, out, a); }
KILN_CUDA_UNARY(neg, kNeg)
KILN_CUDA_UNARY(exp, kExp)
KILN_CUDA_UNARY(expm1, kExpm1)
KILN_CUDA_UNARY(log, kLog)
KILN_CUDA_UNARY(log1p, kLog1p)
KILN_CUDA_UNARY(log2, kLog2)
KILN_CUDA_UNARY(log10, kLog10)
KILN_CUDA_UNARY(sqrt, kSqrt)
KILN_CUDA_UNARY(rsqrt, kRsqrt)
KILN_CUDA_UNARY(reciprocal, kReciprocal)
KILN_CUDA_UNARY(sin, kSin)
KILN_CUDA_UNARY(cos, kCos)
KILN_CUDA_UNARY(tan, kTan)
KILN_CUDA_UNARY(tanh, kTanh)
KILN_CUDA_UNARY(sigmoid, kSigmoid)
KILN_CUDA_UNARY(erf, kErf)
KILN_CUDA_UNARY(abs, kAbs)
KILN_CUDA_UNARY(sign, kSign)
KILN_CUDA_UNARY(square, kSquare)
KILN_CUDA_UNARY(floor, kFloor)
KILN_CUDA_UNARY(ceil, kCeil)
KILN_CUDA_UNARY(round, kRound)
KILN_CUDA_UNARY(trunc, kTrunc)
KILN_CUDA_UNARY(logical_not, kLogicalNot)
KILN_CUDA_UNARY(isnan, kIsnan)
KILN_CUDA_UNARY(isinf, kIsinf)
KILN_CUDA_UNARY(isfinite, kIsfinite)
KILN_CUDA_UNARY(relu, kRelu)
KILN_CUDA_UNARY(silu, kSilu)
KILN_CUDA_UNARY(log_sigmoid, kLogSigmoid)
KILN_CUDA_UNARY(mish, kMish)
KILN_CUDA_UNARY(hardswish, kHardswish)
KILN_CUDA_UNARY(hardsigmoid, kHardsigmoid)
#undef KILN_CUDA_UNARY

void clamp(const Tensor& out, const Tensor& a, const std::optional<Scalar>& min,
           const std::optional<Scalar>& max) {
  clamp_scalars("clamp", out, a, min, max);
}
void clamp_min(const Tensor& out, const Tensor& a, const Scalar& min) {
  clamp_scalars("clamp_min", out, a, min, std::nullopt);
}
void clamp_max(const Tensor& out, const Tensor& a, const Scalar& max) {
  clamp_scalars("clamp_max", out, a, std::nullopt, max);
}

void clamp_tensor(const Tensor& out, const Tensor& a, const Tensor& min, const Tensor& max) {
  if (out.numel() == 0) return;
  OpScope s(out);
  bool handled = false;
  if (min.defined() && max.defined()) {
    IterHolder h = make_iter("clamp", out, {a, min, max});
    handled = launch_ternary(TernaryOp::kClampBoth, h.it, {}, s.launch());
  } else if (min.defined() || max.defined()) {
    IterHolder h = make_iter("clamp", out, {a, min.defined() ? min : max});
    handled = launch_ternary(min.defined() ? TernaryOp::kClampLo : TernaryOp::kClampHi, h.it, {},
                             s.launch());
  } else {
    IterHolder h = make_iter("clamp", out, {a});
    handled = launch_unary(UnaryOp::kClamp, h.it, {}, s.launch());  // no bounds: a copy
  }
  finish("clamp", handled, a.dtype());
}

void nan_to_num(const Tensor& out, const Tensor& a, std::optional<double> nan,
                std::optional<double> posinf, std::optional<double> neginf) {
  // The defaults are the dtype's largest finite values.
  double big = DBL_MAX;
  if (a.dtype() == DType::kFloat32) big = FLT_MAX;
  if (a.dtype() == DType::kFloat16) big = 65504.0;
  if (a.dtype() == DType::kBFloat16) big = 3.3895313892515355e38;
  Params p;
  p.f[0] = nan.value_or(0.0);
  p.f[1] = posinf.value_or(big);
  p.f[2] = neginf.value_or(-big);
  run("nan_to_num", UnaryOp::kNanToNum, out, a, p);
}

void gelu(const Tensor& out, const Tensor& a, const std::string& approximate) {
  Params p;
  p.i[0] = approximate == "tanh" ? 1 : 0;
  run("gelu", UnaryOp::kGelu, out, a, p);
}
void leaky_relu(const Tensor& out, const Tensor& a, const Scalar& negative_slope) {
  run("leaky_relu", UnaryOp::kLeakyRelu, out, a, params({negative_slope}));
}
void elu(const Tensor& out, const Tensor& a, const Scalar& alpha, const Scalar& scale,
         const Scalar& input_scale) {
  run("elu", UnaryOp::kElu, out, a, params({alpha, scale, input_scale}));
}
void softplus(const Tensor& out, const Tensor& a, const Scalar& beta, const Scalar& threshold) {
  run("softplus", UnaryOp::kSoftplus, out, a, params({beta, threshold}));
}
void hardtanh(const Tensor& out, const Tensor& a, const Scalar& min_val, const Scalar& max_val) {
  run("hardtanh", UnaryOp::kHardtanh, out, a, params({min_val, max_val}));
}
void relu6(const Tensor& out, const Tensor& a) {
  run("relu6", UnaryOp::kHardtanh, out, a, params({Scalar(0), Scalar(6)}));
}

}  // namespace kiln::cuda
