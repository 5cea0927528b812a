// The generic elementwise launcher every pointwise kernel goes through.
//
// One functor per op, two kernels per (functor, dtype): a contiguous one with vector loads
// (4 elements per access when every pointer is aligned for it) and a strided one whose
// int64 offsets come from the Iter's sizes/strides (broadcast = stride 0). Both are
// grid-stride loops, so any numel fits a grid capped at the device's resident-block count.
// float16 and bfloat16 compute in float (OpMath), as PyTorch's CUDA kernels do.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <type_traits>

#include "kernels/cuda/launch_args.h"

namespace kiln::cuda {

template <typename T> struct OpMath { using type = T; };
template <> struct OpMath<__half> { using type = float; };
template <> struct OpMath<__nv_bfloat16> { using type = float; };
template <typename T> using opmath_t = typename OpMath<T>::type;

template <typename T> inline constexpr bool is_reduced_float_v =
    std::is_same_v<T, __half> || std::is_same_v<T, __nv_bfloat16>;
template <typename T> inline constexpr bool is_floating_v =
    is_reduced_float_v<T> || std::is_floating_point_v<T>;

// Value conversion with PyTorch's rules: to bool is != 0; float16/bfloat16 go through float.
template <typename To, typename From>
__device__ __forceinline__ To cast_to(From v) {
  if constexpr (std::is_same_v<To, From>) {
    return v;
  } else if constexpr (is_reduced_float_v<From>) {
    return cast_to<To>(static_cast<float>(v));
  } else if constexpr (std::is_same_v<To, bool>) {
    return v != From(0);
  } else if constexpr (std::is_same_v<To, __half>) {
    if constexpr (std::is_same_v<From, double>) return __double2half(v);
    else return __float2half(static_cast<float>(v));
  } else if constexpr (std::is_same_v<To, __nv_bfloat16>) {
    if constexpr (std::is_same_v<From, double>) return __double2bfloat16(v);
    else return __float2bfloat16(static_cast<float>(v));
  } else if constexpr (std::is_floating_point_v<From> && std::is_integral_v<To>) {
    // Out-of-range float -> int is undefined in C++; PyTorch's CUDA result for it is
    // unspecified too, but NaN/inf must not trap: clamp through int64 first.
    return static_cast<To>(static_cast<int64_t>(v));
  } else {
    return static_cast<To>(v);
  }
}

// Offset of linear index `i` for arg `k` (element units).
__device__ __forceinline__ int64_t arg_offset(const Iter& it, int k, int64_t i) {
  int64_t off = 0;
  for (int d = it.ndim - 1; d >= 0; --d) {
    const int64_t s = it.sizes[d];
    const int64_t q = i / s;
    off += (i - q * s) * it.strides[k][d];
    i = q;
  }
  return off;
}

template <int NIN, typename C, typename F>
__device__ __forceinline__ auto apply(const F& f, const C* a) {
  if constexpr (NIN == 0) return f();
  else if constexpr (NIN == 1) return f(a[0]);
  else if constexpr (NIN == 2) return f(a[0], a[1]);
  else if constexpr (NIN == 3) return f(a[0], a[1], a[2]);
  else return f(a[0], a[1], a[2], a[3]);
}

inline constexpr int kVec = 4;
inline constexpr int kThreads = 256;

template <typename T> struct alignas(sizeof(T) * kVec) VecOf { T v[kVec]; };

// Dense args: each thread handles kVec consecutive elements with one vector load per arg.
template <int NIN, typename Out, typename In, typename F>
__global__ void __launch_bounds__(kThreads) ew_contig(Iter it, F f) {
  using C = opmath_t<In>;
  const int64_t nvec = it.numel / kVec;
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  const int64_t tid = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  for (int64_t v = tid; v < nvec; v += stride) {
    VecOf<In> in[NIN > 0 ? NIN : 1];
#pragma unroll
    for (int k = 0; k < NIN; ++k) in[k] = reinterpret_cast<const VecOf<In>*>(it.data[k + 1])[v];
    VecOf<Out> o;
#pragma unroll
    for (int e = 0; e < kVec; ++e) {
      C a[NIN > 0 ? NIN : 1];
#pragma unroll
      for (int k = 0; k < NIN; ++k) a[k] = cast_to<C>(in[k].v[e]);
      o.v[e] = cast_to<Out>(apply<NIN>(f, a));
    }
    reinterpret_cast<VecOf<Out>*>(it.data[0])[v] = o;
  }
  // The tail (numel % kVec elements) one by one.
  for (int64_t i = nvec * kVec + tid; i < it.numel; i += stride) {
    C a[NIN > 0 ? NIN : 1];
#pragma unroll
    for (int k = 0; k < NIN; ++k) a[k] = cast_to<C>(static_cast<const In*>(it.data[k + 1])[i]);
    static_cast<Out*>(it.data[0])[i] = cast_to<Out>(apply<NIN>(f, a));
  }
}

template <int NIN, typename Out, typename In, typename F>
__global__ void __launch_bounds__(kThreads) ew_strided(Iter it, F f) {
  using C = opmath_t<In>;
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < it.numel; i += stride) {
    C a[NIN > 0 ? NIN : 1];
#pragma unroll
    for (int k = 0; k < NIN; ++k) {
      a[k] = cast_to<C>(static_cast<const In*>(it.data[k + 1])[arg_offset(it, k + 1, i)]);
    }
    static_cast<Out*>(it.data[0])[arg_offset(it, 0, i)] = cast_to<Out>(apply<NIN>(f, a));
  }
}

inline bool vec_aligned(const Iter& it, int nargs, int out_size, int in_size) {
  for (int k = 0; k < nargs; ++k) {
    const uintptr_t a = reinterpret_cast<uintptr_t>(it.data[k]);
    if (a % uintptr_t((k == 0 ? out_size : in_size) * kVec) != 0) return false;
  }
  return true;
}

inline int blocks_for(int64_t work, const Launch& l) {
  const int64_t b = (work + kThreads - 1) / kThreads;
  return int(b < 1 ? 1 : (b > l.max_blocks ? l.max_blocks : b));
}

// Runs `f` over `it`: out = f(in1, ..., inNIN) with In the inputs' dtype and Out the output's.
template <int NIN, typename Out, typename In, typename F>
void launch_elementwise(const Iter& it, const Launch& l, const F& f) {
  if (it.numel == 0) return;
  if (it.contiguous && vec_aligned(it, NIN + 1, sizeof(Out), sizeof(In))) {
    ew_contig<NIN, Out, In, F><<<blocks_for(it.numel / kVec + 1, l), kThreads, 0, l.stream>>>(it, f);
  } else {
    ew_strided<NIN, Out, In, F><<<blocks_for(it.numel, l), kThreads, 0, l.stream>>>(it, f);
  }
}

}  // namespace kiln::cuda

// dtype switches: `T` names the C++ type of code `dt` inside the body; other codes fall to
// the caller's error (the op table only routes listed dtypes here).
#define KILN_CUDA_CASE(code, type, ...) \
  case code: {                          \
    using T = type;                     \
    __VA_ARGS__;                        \
    return true;                        \
  }
#define KILN_CUDA_FLOAT_CASES(...)                                  \
  KILN_CUDA_CASE(::kiln::cuda::kF32, float, __VA_ARGS__)            \
  KILN_CUDA_CASE(::kiln::cuda::kF64, double, __VA_ARGS__)           \
  KILN_CUDA_CASE(::kiln::cuda::kF16, __half, __VA_ARGS__)           \
  KILN_CUDA_CASE(::kiln::cuda::kBF16, __nv_bfloat16, __VA_ARGS__)
#define KILN_CUDA_INT_CASES(...)                                    \
  KILN_CUDA_CASE(::kiln::cuda::kU8, uint8_t, __VA_ARGS__)           \
  KILN_CUDA_CASE(::kiln::cuda::kI8, int8_t, __VA_ARGS__)            \
  KILN_CUDA_CASE(::kiln::cuda::kI32, int32_t, __VA_ARGS__)          \
  KILN_CUDA_CASE(::kiln::cuda::kI64, int64_t, __VA_ARGS__)
#define KILN_CUDA_ALL_CASES(...)                                    \
  KILN_CUDA_FLOAT_CASES(__VA_ARGS__)                                \
  KILN_CUDA_INT_CASES(__VA_ARGS__)                                  \
  KILN_CUDA_CASE(::kiln::cuda::kBool, bool, __VA_ARGS__)
