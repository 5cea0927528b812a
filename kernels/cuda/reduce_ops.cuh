// Reducers for kernels/cuda/reduce.cu: each has acc_t, init(), reduce(acc, x, index),
// combine(a, b) (a holds the lower indices) and project(acc, n) -> the stored value.
#pragma once

#include <cfloat>
#include <climits>

#include "kernels/cuda/unary_ops.cuh"

namespace kiln::cuda {

// Sums accumulate integers in int64 and floats in opmath (float for 16-bit types).
template <typename C> struct SumAcc { using type = C; };
template <> struct SumAcc<bool> { using type = int64_t; };
template <> struct SumAcc<uint8_t> { using type = int64_t; };
template <> struct SumAcc<int8_t> { using type = int64_t; };
template <> struct SumAcc<int32_t> { using type = int64_t; };

template <typename C> __device__ __forceinline__ C lowest_of() {
  if constexpr (std::is_floating_point_v<C>) return -C(INFINITY);
  else if constexpr (std::is_same_v<C, bool>) return false;
  else if constexpr (std::is_same_v<C, uint8_t>) return 0;
  else if constexpr (std::is_same_v<C, int8_t>) return C(-128);
  else if constexpr (std::is_same_v<C, int32_t>) return INT_MIN;
  else return LLONG_MIN;
}
template <typename C> __device__ __forceinline__ C highest_of() {
  if constexpr (std::is_floating_point_v<C>) return C(INFINITY);
  else if constexpr (std::is_same_v<C, bool>) return true;
  else if constexpr (std::is_same_v<C, uint8_t>) return C(255);
  else if constexpr (std::is_same_v<C, int8_t>) return C(127);
  else if constexpr (std::is_same_v<C, int32_t>) return INT_MAX;
  else return LLONG_MAX;
}

template <typename C>
struct SumR {
  using acc_t = typename SumAcc<C>::type;
  bool mean = false;
  __device__ acc_t init() const { return acc_t(0); }
  __device__ acc_t reduce(acc_t a, C x, int64_t) const { return a + acc_t(x); }
  __device__ acc_t combine(acc_t a, acc_t b) const { return a + b; }
  __device__ acc_t project(acc_t a, int64_t n) const {
    if constexpr (std::is_floating_point_v<acc_t>) {
      if (mean) return a / acc_t(n);
    }
    return a;
  }
};

template <typename C>
struct ProdR {
  using acc_t = typename SumAcc<C>::type;
  __device__ acc_t init() const { return acc_t(1); }
  __device__ acc_t reduce(acc_t a, C x, int64_t) const { return a * acc_t(x); }
  __device__ acc_t combine(acc_t a, acc_t b) const { return a * b; }
  __device__ acc_t project(acc_t a, int64_t) const { return a; }
};

// max / min / amax / amin: NaN wins.
template <typename C>
struct MaxMinR {
  using acc_t = C;
  bool is_max = true;
  __device__ acc_t init() const { return is_max ? lowest_of<C>() : highest_of<C>(); }
  __device__ acc_t combine(acc_t a, acc_t b) const {
    if (is_nan(a)) return a;
    if (is_nan(b)) return b;
    return is_max ? (b > a ? b : a) : (b < a ? b : a);
  }
  __device__ acc_t reduce(acc_t a, C x, int64_t) const { return combine(a, x); }
  __device__ acc_t project(acc_t a, int64_t) const { return a; }
};

template <typename C>
struct ArgPair {
  C v;
  int64_t i;  // -1: empty
};

// argmax / argmin / max.dim / min.dim: NaN wins (its first index), ties give the first index.
template <typename C>
struct ArgR {
  using acc_t = ArgPair<C>;
  bool is_max = true;
  __device__ acc_t init() const { return {C(0), -1}; }
  __device__ acc_t combine(acc_t a, acc_t b) const {
    if (b.i < 0) return a;
    if (a.i < 0) return b;
    const bool an = is_nan(a.v), bn = is_nan(b.v);
    if (an || bn) {
      if (an && bn) return a.i < b.i ? a : b;
      return an ? a : b;
    }
    if (a.v == b.v) return a.i < b.i ? a : b;
    return (is_max ? a.v > b.v : a.v < b.v) ? a : b;
  }
  __device__ acc_t reduce(acc_t a, C x, int64_t i) const { return combine(a, {x, i}); }
  __device__ acc_t project(acc_t a, int64_t) const { return a; }
};

template <typename C>
struct Welford {
  C n, mean, m2;
};

// var / std by Welford's update and Chan's merge (one pass, stable).
template <typename C>
struct VarR {
  using acc_t = Welford<C>;
  int64_t correction = 1;
  bool take_sqrt = false;
  __device__ acc_t init() const { return {C(0), C(0), C(0)}; }
  __device__ acc_t reduce(acc_t a, C x, int64_t) const {
    a.n += C(1);
    const C d = x - a.mean;
    a.mean += d / a.n;
    a.m2 += d * (x - a.mean);
    return a;
  }
  __device__ acc_t combine(acc_t a, acc_t b) const {
    if (a.n == C(0)) return b;
    if (b.n == C(0)) return a;
    const C n = a.n + b.n;
    const C d = b.mean - a.mean;
    return {n, a.mean + d * (b.n / n), a.m2 + b.m2 + d * d * (a.n * (b.n / n))};
  }
  __device__ C project(acc_t a, int64_t) const {
    const C denom = a.n - C(correction);
    const C v = a.m2 / (denom > C(0) ? denom : C(0));
    return take_sqrt ? sqrt(v) : v;
  }
};

// p-norms: 2 and 1 and +-inf and 0 by their own rules, others through pow.
template <typename C>
struct NormR {
  using acc_t = C;
  double p = 2;
  __device__ acc_t init() const {
    return p == double(INFINITY) ? C(0) : (p == -double(INFINITY) ? C(INFINITY) : C(0));
  }
  __device__ acc_t reduce(acc_t a, C x, int64_t) const {
    const C ax = fabs(x);
    if (p == 2) return a + ax * ax;
    if (p == 1) return a + ax;
    if (p == 0) return a + C(x != C(0));
    if (p == double(INFINITY)) return combine(a, ax);
    if (p == -double(INFINITY)) return combine(a, ax);
    return a + pow(ax, C(p));
  }
  __device__ acc_t combine(acc_t a, acc_t b) const {
    if (p == double(INFINITY) || p == -double(INFINITY)) {
      if (a != a) return a;
      if (b != b) return b;
      return p > 0 ? (b > a ? b : a) : (b < a ? b : a);
    }
    return a + b;
  }
  __device__ C project(acc_t a, int64_t) const {
    if (p == 2) return sqrt(a);
    if (p == 1 || p == 0 || p == double(INFINITY) || p == -double(INFINITY)) return a;
    return pow(a, C(1.0 / p));
  }
};

template <typename C>
struct LseAcc {
  C m, s;
};

// logsumexp: a running max and the sum of exp(x - max).
template <typename C>
struct LseR {
  using acc_t = LseAcc<C>;
  __device__ acc_t init() const { return {-C(INFINITY), C(0)}; }
  __device__ acc_t combine(acc_t a, acc_t b) const {
    if (a.m != a.m || b.m != b.m) return {C(NAN), C(0)};
    const C m = a.m > b.m ? a.m : b.m;
    if (isinf(m)) return {m, C(0)};
    return {m, a.s * exp(a.m - m) + b.s * exp(b.m - m)};
  }
  __device__ acc_t reduce(acc_t a, C x, int64_t) const { return combine(a, {x, C(1)}); }
  __device__ C project(acc_t a, int64_t) const {
    if (a.m != a.m || isinf(a.m)) return a.m;
    return a.m + log(a.s);
  }
};

// all / any / count_nonzero.
template <typename C>
struct TruthR {
  using acc_t = int64_t;
  int kind = 0;  // 0 all, 1 any, 2 count
  __device__ acc_t init() const { return kind == 0 ? 1 : 0; }
  __device__ acc_t reduce(acc_t a, C x, int64_t) const {
    const int64_t t = x != C(0);
    return kind == 0 ? (a & t) : (kind == 1 ? (a | t) : a + t);
  }
  __device__ acc_t combine(acc_t a, acc_t b) const {
    return kind == 0 ? (a & b) : (kind == 1 ? (a | b) : a + b);
  }
  __device__ acc_t project(acc_t a, int64_t) const { return a; }
};

}  // namespace kiln::cuda
