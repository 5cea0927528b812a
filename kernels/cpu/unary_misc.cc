// Sign, magnitude, rounding, clamping and truth tests: integers keep their type here.
#include <cmath>
#include <limits>
#include <type_traits>

#include "kernels/cpu/loops.h"
#include "kernels/cpu/unary.h"

namespace kiln::cpu {

namespace {

template <typename T>
inline constexpr bool is_int = std::is_integral_v<T> && !std::is_same_v<T, bool>;

// out = f(a) for every numeric dtype, half types through float.
template <typename F>
void numeric_unary(const Tensor& out, const Tensor& a, const char* name, const F& f) {
  KILN_DISPATCH_NUMERIC(out.dtype(), name, [&]<typename scalar_t>() {
    using M = opmath_t<scalar_t>;
    unary_kernel<scalar_t>(out, a, [&f](scalar_t x) { return scalar_t(f(M(x))); });
  });
}

// Rounding: integers are already whole.
template <typename F>
void rounding(const Tensor& out, const Tensor& a, const char* name, const F& f) {
  numeric_unary(out, a, name, [&f]<typename M>(M x) {
    if constexpr (std::is_floating_point_v<M>) return f(x);
    else return x;
  });
}

// out (bool) = pred(a) for any dtype.
template <typename P>
void truth(const Tensor& out, const Tensor& a, const char* name, const P& pred) {
  KILN_DISPATCH_ALL(a.dtype(), name, [&]<typename scalar_t>() {
    using M = opmath_t<scalar_t>;
    unary_kernel<scalar_t, bool>(out, a, [&pred](scalar_t x) { return bool(pred(M(x))); });
  });
}

// x clamped to [lo, hi] (either optional), PyTorch's way: max wins when lo > hi, and a NaN
// in x stays. A NaN bound is handled by the caller.
template <typename M>
inline M clamp_to(M x, bool has_lo, M lo, bool has_hi, M hi) {
  if (has_lo) x = x < lo ? lo : x;
  if (has_hi) x = x > hi ? hi : x;
  return x;
}

template <typename M>
bool is_nan_value(M v) {
  if constexpr (std::is_floating_point_v<M>) return v != v;
  else return false;
}

void clamp_scalars(const Tensor& out, const Tensor& a, const std::optional<Scalar>& min,
                   const std::optional<Scalar>& max, const char* name) {
  KILN_DISPATCH_NUMERIC(out.dtype(), name, [&]<typename scalar_t>() {
    using M = opmath_t<scalar_t>;
    const M lo = min ? min->to<M>() : M(0);
    const M hi = max ? max->to<M>() : M(0);
    const bool has_lo = min.has_value(), has_hi = max.has_value();
    if ((has_lo && is_nan_value(lo)) || (has_hi && is_nan_value(hi))) {
      const M nan = std::numeric_limits<M>::quiet_NaN();
      unary_kernel<scalar_t>(out, a, [nan](scalar_t) { return scalar_t(nan); });
      return;
    }
    // Branch-free selects with the flags known outside the loop.
    if (has_lo && has_hi) {
      unary_kernel<scalar_t>(out, a, [=](scalar_t x) {
        return scalar_t(clamp_to(M(x), true, lo, true, hi));
      });
    } else if (has_lo) {
      unary_kernel<scalar_t>(out, a, [=](scalar_t x) {
        return scalar_t(clamp_to(M(x), true, lo, false, hi));
      });
    } else {
      unary_kernel<scalar_t>(out, a, [=](scalar_t x) {
        return scalar_t(clamp_to(M(x), false, lo, true, hi));
      });
    }
  });
}

}  // namespace

void abs(const Tensor& out, const Tensor& a) {
  numeric_unary(out, a, "abs", []<typename M>(M x) {
    if constexpr (std::is_unsigned_v<M>) {
      return x;
    } else if constexpr (is_int<M>) {
      // Negate through the unsigned type: the most negative value wraps to itself, no UB.
      using U = std::make_unsigned_t<M>;
      return x < 0 ? M(U(0) - U(x)) : x;
    } else {
      return std::fabs(x);
    }
  });
}

void sign(const Tensor& out, const Tensor& a) {
  KILN_DISPATCH_ALL(out.dtype(), "sign", [&]<typename scalar_t>() {
    using M = opmath_t<scalar_t>;
    unary_kernel<scalar_t>(out, a, [](scalar_t x) {
      if constexpr (std::is_same_v<scalar_t, bool>) {
        return x;
      } else {
        const M v = M(x);
        // NaN and -0.0 compare false both ways: 0.
        return scalar_t(M(int(M(0) < v) - int(v < M(0))));
      }
    });
  });
}

void square(const Tensor& out, const Tensor& a) {
  numeric_unary(out, a, "square", []<typename M>(M x) {
    if constexpr (is_int<M>) {
      using U = std::make_unsigned_t<M>;
      return M(U(x) * U(x));  // wraps like PyTorch, without signed-overflow UB
    } else {
      return x * x;
    }
  });
}

void floor(const Tensor& out, const Tensor& a) {
  rounding(out, a, "floor", [](auto x) { return std::floor(x); });
}
void ceil(const Tensor& out, const Tensor& a) {
  rounding(out, a, "ceil", [](auto x) { return std::ceil(x); });
}
void round(const Tensor& out, const Tensor& a) {
  // Half to even, as PyTorch (and IEEE's default mode) rounds.
  rounding(out, a, "round", [](auto x) { return std::nearbyint(x); });
}
void trunc(const Tensor& out, const Tensor& a) {
  rounding(out, a, "trunc", [](auto x) { return std::trunc(x); });
}

void clamp(const Tensor& out, const Tensor& a, const std::optional<Scalar>& min,
           const std::optional<Scalar>& max) {
  clamp_scalars(out, a, min, max, "clamp");
}
void clamp_min(const Tensor& out, const Tensor& a, const Scalar& min) {
  clamp_scalars(out, a, min, std::nullopt, "clamp_min");
}
void clamp_max(const Tensor& out, const Tensor& a, const Scalar& max) {
  clamp_scalars(out, a, std::nullopt, max, "clamp_max");
}

void clamp_tensor(const Tensor& out, const Tensor& a, const Tensor& min, const Tensor& max) {
  KILN_DISPATCH_NUMERIC(out.dtype(), "clamp", [&]<typename scalar_t>() {
    using M = opmath_t<scalar_t>;
    using T = scalar_t;
    // Per element, so a NaN bound is a NaN result here.
    auto lower = [](M x, M lo) { return is_nan_value(lo) ? lo : (x < lo ? lo : x); };
    auto upper = [](M x, M hi) { return is_nan_value(hi) ? hi : (x > hi ? hi : x); };
    if (min.defined() && max.defined()) {
      ternary_kernel<T>(out, a, min, max, [=](T x, T lo, T hi) {
        return T(upper(lower(M(x), M(lo)), M(hi)));
      });
    } else if (min.defined()) {
      binary_kernel<T>(out, a, min, [=](T x, T lo) { return T(lower(M(x), M(lo))); });
    } else {
      binary_kernel<T>(out, a, max, [=](T x, T hi) { return T(upper(M(x), M(hi))); });
    }
  });
}

void logical_not(const Tensor& out, const Tensor& a) {
  truth(out, a, "logical_not", [](auto x) { return x == decltype(x)(0); });
}

void isnan(const Tensor& out, const Tensor& a) {
  truth(out, a, "isnan", [](auto x) { return is_nan_value(x); });
}

void isinf(const Tensor& out, const Tensor& a) {
  truth(out, a, "isinf", []<typename M>(M x) {
    if constexpr (std::is_floating_point_v<M>) {
      constexpr M inf = std::numeric_limits<M>::infinity();
      return x == inf || x == -inf;
    } else {
      return false;
    }
  });
}

void isfinite(const Tensor& out, const Tensor& a) {
  truth(out, a, "isfinite", []<typename M>(M x) {
    if constexpr (std::is_floating_point_v<M>) {
      return x - x == M(0);  // inf - inf and NaN - NaN are NaN
    } else {
      return true;
    }
  });
}

void nan_to_num(const Tensor& out, const Tensor& a, std::optional<double> nan,
                std::optional<double> posinf, std::optional<double> neginf) {
  KILN_DISPATCH_ALL(out.dtype(), "nan_to_num", [&]<typename scalar_t>() {
    using M = opmath_t<scalar_t>;
    if constexpr (!std::is_floating_point_v<M>) {
      unary_kernel<scalar_t>(out, a, [](scalar_t x) { return x; });
    } else {
      // The replacements as the dtype holds them (posinf=1e10 for float16 is inf).
      const M n = M(scalar_t(M(nan.value_or(0.0))));
      const M p = posinf ? M(scalar_t(M(*posinf))) : M(std::numeric_limits<scalar_t>::max());
      const M q = neginf ? M(scalar_t(M(*neginf))) : M(std::numeric_limits<scalar_t>::lowest());
      constexpr M inf = std::numeric_limits<M>::infinity();
      unary_kernel<scalar_t>(out, a, [=](scalar_t xs) {
        const M x = M(xs);
        M r = x == inf ? p : x;
        r = x == -inf ? q : r;
        return scalar_t(x != x ? n : r);
      });
    }
  });
}

}  // namespace kiln::cpu
