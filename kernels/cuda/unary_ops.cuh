// Functors shared by the unary and binary kernel files.
#pragma once

#include "kernels/cuda/elementwise.cuh"

namespace kiln::cuda {

template <typename C>
__device__ __forceinline__ bool is_nan(C v) {
  if constexpr (std::is_floating_point_v<C>) return v != v;
  else return false;
}

// v < 0 without "pointless comparison" warnings for unsigned types.
template <typename C>
__device__ __forceinline__ bool is_neg(C v) {
  if constexpr (std::is_unsigned_v<C> || std::is_same_v<C, bool>) return false;
  else return v < C(0);
}

// Python's integer power: exact by squaring; negative exponents give 0 except for bases 1, -1.
template <typename C>
__device__ __forceinline__ C int_pow(C base, C exp) {
  if constexpr (std::is_signed_v<C>) {
    if (exp < 0) {
      if (base == C(1)) return C(1);
      if (base == C(-1)) return (exp & C(1)) ? C(-1) : C(1);
      return C(0);
    }
  }
  C result = C(1);
  while (exp) {
    if (exp & C(1)) result = C(result * base);
    exp = C(exp >> 1);
    base = C(base * base);
  }
  return result;
}

template <typename C>
__device__ __forceinline__ C pow_any(C a, C b) {
  if constexpr (std::is_floating_point_v<C>) return pow(a, b);
  else if constexpr (std::is_same_v<C, bool>) return b ? a : true;
  else return int_pow(a, b);
}

// The number parameter k of an op, as the compute type (ints exact, floats from double).
template <typename C>
__device__ __forceinline__ C param(const Params& p, int k) {
  if constexpr (std::is_floating_point_v<C>) return C(p.f[k]);
  else if constexpr (std::is_same_v<C, bool>) return p.i[k] != 0;
  else return C(p.i[k]);
}

}  // namespace kiln::cuda
