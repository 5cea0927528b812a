// var/std (two passes: the mean, then squared deviations), norm, logsumexp.
// Before any include: lets GCC if-convert vec_math.h's selects (see there).
#pragma GCC optimize("no-trapping-math")


#include "kernels/cpu/reduce.h"
#include "kernels/cpu/reduce_ops.h"
#include "kernels/cpu/vec_math.h"

namespace kiln::cpu {
namespace {

// Runs per_output(in_base, out_off) for every output: long lanes one at a time (the passes
// inside split into fixed chunks), short ones split across threads.
template <typename F>
void for_each_output(const ReduceGeometry& g, const F& per_output) {
  if (g.num_out == 0) return;
  if (g.num_red >= 2 * kReduceChunk && g.num_out < 2 * num_threads()) {
    for (int64_t m = 0; m < g.num_out; ++m) {
      const auto [in_off, out_off] = g.out_offsets(m);
      per_output(in_off, out_off, true);
    }
    return;
  }
  const int64_t grain = std::max<int64_t>(1, 32768 / std::max<int64_t>(g.num_red, 1));
  parallel_for(0, g.num_out, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t m = lo; m < hi; ++m) {
      const auto [in_off, out_off] = g.out_offsets(m);
      per_output(in_off, out_off, false);
    }
  });
}

template <typename T, typename Ops>
typename Ops::acc_t lane_reduce(const ReduceGeometry& g, const T* base, const Ops& ops,
                                bool chunked) {
  if (g.num_red == 0) return ops.init();
  return chunked ? reduce_chunked(g, base, ops) : reduce_range(g, base, 0, g.num_red, ops, ops.init());
}

// Sum of (x - center)^2, or of exp(x - center) (kExp).
template <typename T, bool kExp>
struct ShiftedSumOps : ReduceOpsBase<ShiftedSumOps<T, kExp>, T, opmath_t<T>> {
  using M = opmath_t<T>;
  M center;
  M term(T x) const;
  M init() const { return M(0); }
  M combine(M acc, T x, int64_t) const { return acc + term(x); }
  M merge(M a, M b) const { return a + b; }
  M reduce_contiguous(M acc, const T* p, int64_t n, int64_t) const {
    constexpr int kLanes = 16;
    M part[kLanes] = {};
    int64_t j = 0;
    for (; j + kLanes <= n; j += kLanes) {
      for (int k = 0; k < kLanes; ++k) part[k] += term(p[j + k]);
    }
    for (; j < n; ++j) part[0] += term(p[j]);
    for (int w = kLanes / 2; w > 0; w /= 2) {
      for (int k = 0; k < w; ++k) part[k] += part[k + w];
    }
    return acc + part[0];
  }
};

template <typename T, bool kExp>
typename ShiftedSumOps<T, kExp>::M ShiftedSumOps<T, kExp>::term(T x) const {
  const M d = M(x) - center;
  if constexpr (!kExp) {
    return d * d;
  } else if constexpr (std::is_same_v<M, float>) {
    return vec::exp(d);
  } else {
    return std::exp(d);
  }
}

template <bool kSqrt>
void var_kernel(const char* op, const Tensor& out, const Tensor& self,
                const std::optional<Shape>& dim, std::optional<int64_t> correction) {
  const ReduceGeometry g(self, out, reduce_dims(op, self.dim(), dim));
  KILN_DISPATCH_FLOATING(self.dtype(), op, [&]<typename scalar_t>() {
    using M = opmath_t<scalar_t>;
    const scalar_t* in = static_cast<const scalar_t*>(self.raw_data());
    scalar_t* o = static_cast<scalar_t*>(out.raw_data());
    const M n = M(g.num_red);
    // N - correction, never below 0: var of too few elements is inf or nan, as in PyTorch.
    const M denom = std::max(M(0), n - M(correction.value_or(1)));
    for_each_output(g, [&](int64_t in_off, int64_t out_off, bool chunked) {
      const M mean = lane_reduce(g, in + in_off, SumOps<scalar_t>{}, chunked) / n;
      ShiftedSumOps<scalar_t, false> sq;
      sq.center = mean;
      const M m2 = g.num_red == 0 ? M(0) : lane_reduce(g, in + in_off, sq, chunked);
      const M v = m2 / denom;
      o[out_off] = scalar_t(kSqrt ? std::sqrt(v) : v);
    });
  });
}

enum class NormKind { kTwo, kOne, kInf, kNegInf, kZero, kGeneral };

template <typename T, NormKind K>
struct NormOps : ReduceOpsBase<NormOps<T, K>, T, opmath_t<T>> {
  using M = opmath_t<T>;
  M p = 2;
  M init() const {
    return K == NormKind::kNegInf ? std::numeric_limits<M>::infinity() : M(0);
  }
  M combine(M acc, T x, int64_t) const {
    const M a = std::abs(M(x));
    switch (K) {
      case NormKind::kTwo: return acc + a * a;
      case NormKind::kOne: return acc + a;
      case NormKind::kInf: return (a > acc || a != a) ? a : acc;
      case NormKind::kNegInf: return (a < acc || a != a) ? a : acc;
      case NormKind::kZero: return acc + (a != M(0) ? M(1) : M(0));
      case NormKind::kGeneral: return acc + std::pow(a, p);
    }
    return acc;
  }
  M merge(M a, M b) const {
    if constexpr (K == NormKind::kInf || K == NormKind::kNegInf) {
      return a != a ? a : combine(a, T(b), 0);
    } else {
      return a + b;
    }
  }
  // The summing norms run 16 partial sums over contiguous runs (vectorizes, and keeps
  // float error low); the max/min norms and general p use the plain loop.
  M reduce_contiguous(M acc, const T* q, int64_t n, int64_t r) const {
    if constexpr (K == NormKind::kTwo || K == NormKind::kOne || K == NormKind::kZero) {
      constexpr int kLanes = 16;
      M part[kLanes] = {};
      int64_t j = 0;
      for (; j + kLanes <= n; j += kLanes) {
        for (int k = 0; k < kLanes; ++k) part[k] = combine(part[k], q[j + k], 0);
      }
      for (; j < n; ++j) part[0] = combine(part[0], q[j], 0);
      for (int w = kLanes / 2; w > 0; w /= 2) {
        for (int k = 0; k < w; ++k) part[k] += part[k + w];
      }
      return acc + part[0];
    } else {
      return ReduceOpsBase<NormOps<T, K>, T, M>::reduce_contiguous(acc, q, n, r);
    }
  }
  T project(M acc, int64_t) const {
    if constexpr (K == NormKind::kTwo) return T(std::sqrt(acc));
    if constexpr (K == NormKind::kGeneral) return T(std::pow(acc, M(1) / p));
    return T(acc);
  }
};

template <typename T, NormKind K>
void norm_as(const Tensor& out, const Tensor& self, const std::vector<int64_t>& dims, double p) {
  NormOps<T, K> ops;
  ops.p = static_cast<opmath_t<T>>(p);
  reduce_kernel<T, T>(out, self, dims, ops);
}

}  // namespace

void var(const Tensor& out, const Tensor& self, const std::optional<Shape>& dim,
         std::optional<int64_t> correction, bool) {
  var_kernel<false>("var", out, self, dim, correction);
}

void std_(const Tensor& out, const Tensor& self, const std::optional<Shape>& dim,
          std::optional<int64_t> correction, bool) {
  var_kernel<true>("std", out, self, dim, correction);
}

void norm(const Tensor& out, const Tensor& self, const std::optional<Scalar>& p,
          const std::optional<Shape>& dim, bool, std::optional<DType>) {
  const std::vector<int64_t> dims = reduce_dims("norm", self.dim(), dim);
  const double pv = p ? p->to_double() : 2.0;
  KILN_DISPATCH_FLOATING(self.dtype(), "norm", [&]<typename scalar_t>() {
    if (pv == 2.0) {
      norm_as<scalar_t, NormKind::kTwo>(out, self, dims, pv);
    } else if (pv == 1.0) {
      norm_as<scalar_t, NormKind::kOne>(out, self, dims, pv);
    } else if (pv == 0.0) {
      norm_as<scalar_t, NormKind::kZero>(out, self, dims, pv);
    } else if (std::isinf(pv)) {
      if (pv > 0) {
        norm_as<scalar_t, NormKind::kInf>(out, self, dims, pv);
      } else {
        norm_as<scalar_t, NormKind::kNegInf>(out, self, dims, pv);
      }
    } else {
      norm_as<scalar_t, NormKind::kGeneral>(out, self, dims, pv);
    }
  });
}

void logsumexp(const Tensor& out, const Tensor& self, IntList dim, bool) {
  const ReduceGeometry g(self, out, reduce_dims("logsumexp", self.dim(), dim.vec()));
  KILN_DISPATCH_FLOATING(self.dtype(), "logsumexp", [&]<typename scalar_t>() {
    using M = opmath_t<scalar_t>;
    const scalar_t* in = static_cast<const scalar_t*>(self.raw_data());
    scalar_t* o = static_cast<scalar_t*>(out.raw_data());
    for_each_output(g, [&](int64_t in_off, int64_t out_off, bool chunked) {
      const M top = lane_reduce(g, in + in_off, ExtremeOps<scalar_t, true>{}, chunked);
      // An infinite max is the answer (all -inf gives -inf, any +inf gives +inf; a NaN max
      // is not infinite and propagates through the sum): x - top would be inf - inf = NaN.
      if (std::isinf(top)) {
        o[out_off] = scalar_t(top);
        return;
      }
      ShiftedSumOps<scalar_t, true> ex;
      ex.center = top;
      const M s = lane_reduce(g, in + in_off, ex, chunked);
      o[out_off] = scalar_t(std::log(s) + ex.center);
    });
  });
}

}  // namespace kiln::cpu
