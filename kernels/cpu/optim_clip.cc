// Gradient clipping: torch.nn.utils.clip_grad_norm_ and clip_grad_value_ over the gradients.
#include <cmath>
#include <limits>

#include "engine/core/printing.h"
#include "kernels/cpu/loops.h"
#include "kernels/cpu/optim.h"
#include "kernels/cpu/reduce_loops.h"

namespace kiln::cpu {

namespace {

// torch.norm(t, p): p = inf / -inf take the largest / smallest magnitude (NaN wins), 0 counts
// the non-zeros, others are (sum |x|^p)^(1/p). Accumulates in double over fixed chunks merged
// in order (the same result on any number of threads). An empty tensor has norm 0.
template <typename T>
double vector_norm(const Tensor& t, double p) {
  using M = opmath_t<T>;
  const int64_t n = t.numel();
  if (n == 0) return 0;
  const bool max_kind = std::isinf(p) && p > 0, min_kind = std::isinf(p) && p < 0;
  const double init = min_kind ? std::numeric_limits<double>::infinity() : 0.0;
  const auto pick = [](double acc, double x, bool larger) {
    if (acc != acc || x != x) return acc != acc ? acc : x;
    return (larger ? x > acc : x < acc) ? x : acc;
  };
  const auto add_term = [&](double acc, double x) {
    if (max_kind) return pick(acc, x, true);
    if (min_kind) return pick(acc, x, false);
    if (p == 0) return acc + (x != 0 ? 1.0 : 0.0);
    if (p == 1) return acc + x;
    if (p == 2) return acc + x * x;
    return acc + std::pow(x, p);
  };
  const LoopGeometry<1> geo({&t});
  std::vector<double> partial((n + kReduceChunk - 1) / kReduceChunk, init);
  parallel_chunks(n, kReduceChunk, [&](int64_t c, int64_t lo, int64_t hi) {
    double acc = init;
    geo.run(lo, hi, [&](std::array<char*, 1> ptr, const std::array<int64_t, 1>& s, int64_t cnt) {
      for (int64_t j = 0; j < cnt; ++j) {
        acc = add_term(acc, std::fabs(double(M(detail::load<T>(ptr[0] + j * s[0])))));
      }
    });
    partial[c] = acc;
  });
  double acc = init;
  for (double part : partial) {
    if (max_kind || min_kind) {
      acc = pick(acc, part, max_kind);
    } else {
      acc += part;
    }
  }
  if (max_kind || min_kind || p == 0 || p == 1) return acc;
  if (p == 2) return std::sqrt(acc);
  return std::pow(acc, 1.0 / p);
}

// `x` rounded to dtype `d` (the value a 0-dim tensor of that dtype would hold).
double round_to(DType d, double x) {
  return KILN_DISPATCH_FLOATING(d, "clip_grad_norm_", [&]<typename T>() {
    return double(opmath_t<T>(T(x)));
  });
}

// PyTorch's scalar arithmetic on a 0-dim tensor of dtype `d`: operands (Python numbers are
// cast to `d` first) meet in d's compute type, and the result is rounded to `d`.
template <typename F>
double in_dtype(DType d, double a, double b, F op) {
  return KILN_DISPATCH_FLOATING(d, "clip_grad_norm_", [&]<typename T>() {
    using M = opmath_t<T>;
    return double(M(T(op(M(T(a)), M(T(b))))));
  });
}

}  // namespace

void clip_grad_norm(const Tensor& total_norm, const std::vector<Tensor>& grads, double max_norm,
                    double norm_type, bool error_if_nonfinite) {
  const DType r = total_norm.dtype();
  double total = 0;
  if (!grads.empty()) {
    // Per gradient in its own dtype, then the norm of those norms (torch.stack promotes).
    std::vector<double> norms;
    norms.reserve(grads.size());
    for (const Tensor& g : grads) {
      const bool inf_norm = std::isinf(norm_type) && norm_type > 0;
      // PyTorch takes g.abs().max() here, which has no value for an empty tensor.
      KILN_CHECK(!(inf_norm && g.numel() == 0),
                 "clip_grad_norm_: max(): Expected reduction dim to be specified for "
                 "input.numel() == 0. Specify the reduction dim with the 'dim' argument.");
      const double v = KILN_DISPATCH_FLOATING(g.dtype(), "clip_grad_norm_", [&]<typename T>() {
        return vector_norm<T>(g, norm_type);
      });
      norms.push_back(round_to(r, round_to(g.dtype(), v)));
    }
    if (std::isinf(norm_type) && norm_type > 0) {
      // torch.max(torch.stack(norms)): the largest, NaN wins.
      total = norms[0];
      for (size_t k = 1; k < norms.size() && total == total; ++k) {
        if (norms[k] > total || norms[k] != norms[k]) total = norms[k];
      }
    } else {
      const Tensor stacked = from_blob(norms.data(), {int64_t(norms.size())}, DType::kFloat64,
                                       [](void*) {});
      total = round_to(r, vector_norm<double>(stacked, norm_type));
    }
  }
  KILN_CHECK(!(error_if_nonfinite && !std::isfinite(total)), "clip_grad_norm_: The total norm of order ",
             python_float_repr(norm_type),
             " for gradients from `parameters` is non-finite, so it cannot be clipped. To "
             "disable this error and scale the gradients by the non-finite norm anyway, set "
             "`error_if_nonfinite=False`");
  KILN_DISPATCH_FLOATING(r, "clip_grad_norm_", [&]<typename T>() {
    *static_cast<T*>(total_norm.raw_data()) = T(total);
  });
  if (grads.empty()) return;
  // clip_coef = max_norm / (total_norm + 1e-6), which Tensor.__rdiv__ computes as
  // reciprocal(total_norm + 1e-6) * max_norm, each step rounded to the norm's dtype.
  const double shifted = in_dtype(r, total, 1e-6, [](auto a, auto b) { return a + b; });
  const double recip = in_dtype(r, 1.0, shifted, [](auto a, auto b) { return a / b; });
  const double coef = in_dtype(r, recip, max_norm, [](auto a, auto b) { return a * b; });
  const double clamped = coef > 1.0 ? 1.0 : coef;  // clamp(max=1.0); NaN stays NaN
  for (const Tensor& g : grads) {
    KILN_DISPATCH_FLOATING(g.dtype(), "clip_grad_norm_", [&]<typename T>() {
      using M = opmath_t<T>;
      if (g.dim() == 0 && g.dtype() != r) {
        // Two 0-dim operands: the product is computed in the promoted dtype.
        const DType wide = promote_types(g.dtype(), r);
        unary_kernel<T>(g, g, [&](T x) {
          return T(round_to(wide, double(M(x)) * clamped));
        });
      } else {
        const M c = M(T(clamped));
        unary_kernel<T>(g, g, [c](T x) { return T(M(x) * c); });
      }
    });
    // The generated op knows only its output; the gradients it scaled change version here.
    g.bump_version();
  }
}

void clip_grad_value(const std::vector<Tensor>& grads, double clip_value) {
  for (const Tensor& g : grads) {
    KILN_DISPATCH_FLOATING(g.dtype(), "clip_grad_value_", [&]<typename T>() {
      using M = opmath_t<T>;
      const M lo = M(-clip_value), hi = M(clip_value);
      // min(max(x, lo), hi): NaN passes through, and lo > hi gives hi, as torch.clamp.
      unary_kernel<T>(g, g, [lo, hi](T x) { return T(std::min(std::max(M(x), lo), hi)); });
    });
  }
}

}  // namespace kiln::cpu
