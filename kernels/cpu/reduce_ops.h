// The reduce_loops.h policies the reduction kernels share (sum, max/min values and indices).
#pragma once

#include <cmath>
#include <limits>
#include <type_traits>

#include "kernels/cpu/reduce_loops.h"
#include "kernels/cpu/reduce_simd.h"

namespace kiln::cpu {

template <typename T>
inline constexpr bool kIsFloat = std::is_floating_point_v<opmath_t<T>>;

template <typename T>
inline bool is_nan(T x) {
  if constexpr (kIsFloat<T>) {
    return std::isnan(static_cast<opmath_t<T>>(x));
  } else {
    return false;
  }
}

template <typename T>
inline bool is_nonzero(T x) {
  if constexpr (std::is_same_v<T, bool>) {
    return x;
  } else {
    return static_cast<opmath_t<T>>(x) != opmath_t<T>(0);
  }
}

template <typename T>
struct SumOps : ReduceOpsBase<SumOps<T>, T, opmath_t<T>> {
  using M = opmath_t<T>;
  M init() const { return M(0); }
  M combine(M acc, T x, int64_t) const { return acc + M(x); }
  M merge(M a, M b) const { return a + b; }
  T project(M acc, int64_t) const { return T(acc); }
  // 32 independent partial sums (four AVX registers of floats): the adds of one register
  // do not wait on each other's latency, and float error grows more slowly.
  M reduce_contiguous(M acc, const T* p, int64_t n, int64_t) const {
    constexpr int kLanes = 32;
    M part[kLanes] = {};
    int64_t j = 0;
    for (; j + kLanes <= n; j += kLanes) {
      for (int k = 0; k < kLanes; ++k) part[k] += M(p[j + k]);
    }
    for (; j < n; ++j) part[0] += M(p[j]);
    for (int w = kLanes / 2; w > 0; w /= 2) {
      for (int k = 0; k < w; ++k) part[k] += part[k + w];
    }
    return acc + part[0];
  }
};

// Largest (kMax) or smallest value; a NaN, once seen, stays.
template <typename T, bool kMax>
struct ExtremeOps : ReduceOpsBase<ExtremeOps<T, kMax>, T, opmath_t<T>> {
  using M = opmath_t<T>;
  static M pick(M acc, M x) {
    if constexpr (kIsFloat<T>) {
      return ((kMax ? x > acc : x < acc) || x != x) ? x : acc;
    } else {
      return (kMax ? x > acc : x < acc) ? x : acc;
    }
  }
  M init() const {
    if constexpr (std::is_same_v<M, bool>) {
      return !kMax;
    } else if constexpr (kIsFloat<T>) {
      return kMax ? -std::numeric_limits<M>::infinity() : std::numeric_limits<M>::infinity();
    } else {
      return kMax ? std::numeric_limits<M>::lowest() : std::numeric_limits<M>::max();
    }
  }
  M combine(M acc, T x, int64_t) const { return pick(acc, M(x)); }
  M merge(M a, M b) const { return a != a ? a : pick(a, b); }
  T project(M acc, int64_t) const { return T(acc); }
  // float: AVX2 (reduce_simd.h); other types: branch-free selects over 16 lanes.
  M reduce_contiguous(M acc, const T* p, int64_t n, int64_t) const {
    if constexpr (std::is_same_v<T, float>) {
      if (n <= 0) return acc;
      bool nan = false;
      const float v = simd::extreme_f32<kMax>(p, n, &nan);
      return merge(acc, nan ? p[simd::first_nan(p, n)] : v);
    }
    constexpr int kLanes = 16;
    M part[kLanes];
    for (int k = 0; k < kLanes; ++k) part[k] = init();
    int64_t j = 0;
    for (; j + kLanes <= n; j += kLanes) {
      for (int k = 0; k < kLanes; ++k) part[k] = pick(part[k], M(p[j + k]));
    }
    for (; j < n; ++j) part[0] = pick(part[0], M(p[j]));
    for (int k = 0; k < kLanes; ++k) acc = merge(acc, part[k]);
    return acc;
  }
};

// The value and index of the first largest (smallest) element; the first NaN wins.
template <typename M>
struct ValueIndex {
  M value;
  int64_t index;
};

template <typename T, bool kMax>
struct ArgExtremeOps : ReduceOpsBase<ArgExtremeOps<T, kMax>, T, ValueIndex<opmath_t<T>>> {
  using M = opmath_t<T>;
  using Acc = ValueIndex<M>;
  // Does x replace the current best a? Strictly better only, so ties keep the first.
  static bool better(M x, M a) {
    if constexpr (kIsFloat<T>) {
      if (a != a) return false;
      if (x != x) return true;
    }
    return kMax ? x > a : x < a;
  }
  Acc init() const { return {M(0), -1}; }
  Acc combine(Acc acc, T x, int64_t r) const {
    const M v = M(x);
    return (acc.index < 0 || better(v, acc.value)) ? Acc{v, r} : acc;
  }
  Acc merge(Acc a, Acc b) const {
    if (a.index < 0) return b;
    if (b.index < 0) return a;
    return better(b.value, a.value) ? b : a;
  }
  // float: the run's extreme value (or first NaN) by AVX2, then the first position holding
  // it; ties keep the first index as combine does.
  Acc reduce_contiguous(Acc acc, const T* p, int64_t n, int64_t r) const {
    if constexpr (std::is_same_v<T, float>) {
      if (n <= 0) return acc;
      bool nan = false;
      const float v = simd::extreme_f32<kMax>(p, n, &nan);
      const int64_t j = nan ? simd::first_nan(p, n) : simd::first_equal(p, n, v);
      return merge(acc, Acc{p[j], r + j});
    } else {
      return ReduceOpsBase<ArgExtremeOps<T, kMax>, T, Acc>::reduce_contiguous(acc, p, n, r);
    }
  }
};

}  // namespace kiln::cpu
