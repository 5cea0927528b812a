// Helpers shared by the CUDA kernels of the linalg, nn_* and optim families: status checks
// that throw kiln errors naming the op, the device guard and stream, device element types
// for float16/bfloat16 with float accumulation, dtype dispatch, a strided-to-dense copy, and
// warp/block reductions. Include only from .cu files of those families.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <limits>
#include <type_traits>

#include "engine/core/error.h"
#include "engine/core/tensor.h"

namespace kiln::cuda_nn {

// ---- status checks: every CUDA call's status becomes a kiln error naming the op ----

[[noreturn]] void throw_cuda(const char* op, cudaError_t e, const char* what);

inline void check_cuda(cudaError_t e, const char* op, const char* what) {
  if (e != cudaSuccess) throw_cuda(op, e, what);
}
// After a launch: a bad configuration surfaces here, a fault at the next sync.
inline void check_launch(const char* op) { check_cuda(cudaGetLastError(), op, "kernel launch"); }

// ---- device and stream ----

// Makes the tensor's device current for the scope (kernels launch on the current device).
class DeviceGuard {
 public:
  explicit DeviceGuard(const Tensor& t, const char* op);
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int prev_ = -1;
};

// The stream every kernel of the tensor's device runs on (the backend's compute stream).
cudaStream_t stream_for(const Tensor& t);

// ---- element types ----

template <typename T> struct DevType { using type = T; };
template <> struct DevType<Half> { using type = __half; };
template <> struct DevType<BFloat16> { using type = __nv_bfloat16; };
template <typename T> using dev_t = typename DevType<T>::type;

// Accumulation type: float for the half types, the type itself otherwise.
template <typename T> struct AccType { using type = T; };
template <> struct AccType<__half> { using type = float; };
template <> struct AccType<__nv_bfloat16> { using type = float; };
template <typename T> using acc_t = typename AccType<T>::type;

template <typename T>
__device__ __forceinline__ acc_t<T> to_acc(T v) { return acc_t<T>(v); }
template <>
__device__ __forceinline__ float to_acc<__half>(__half v) { return __half2float(v); }
template <>
__device__ __forceinline__ float to_acc<__nv_bfloat16>(__nv_bfloat16 v) {
  return __bfloat162float(v);
}

template <typename T, typename A>
__device__ __forceinline__ T from_acc(A v) { return T(v); }
template <>
__device__ __forceinline__ __half from_acc<__half, float>(float v) { return __float2half_rn(v); }
template <>
__device__ __forceinline__ __nv_bfloat16 from_acc<__nv_bfloat16, float>(float v) {
  return __float2bfloat16_rn(v);
}

// A type carried as a value, for C++17 generic lambdas: [&](auto tag) { using T =
// typename decltype(tag)::type; ... }.
template <typename T> struct TypeTag { using type = T; };
// Compile-time flags for generic lambdas that pick a kernel instantiation.
inline constexpr std::true_type kT{};
inline constexpr std::false_type kF{};
using I0 = std::integral_constant<int, 0>;
using I1 = std::integral_constant<int, 1>;
using I2 = std::integral_constant<int, 2>;

// Calls fn(TypeTag<T>{}) with T the device type of a floating dtype.
template <typename F>
void dispatch_floating(DType dt, const char* op, F&& fn) {
  switch (dt) {
    case DType::kFloat32: fn(TypeTag<float>{}); return;
    case DType::kFloat64: fn(TypeTag<double>{}); return;
    case DType::kFloat16: fn(TypeTag<__half>{}); return;
    case DType::kBFloat16: fn(TypeTag<__nv_bfloat16>{}); return;
    default: break;
  }
  KILN_CHECK_NOT_IMPLEMENTED(false, op, ": not implemented for cuda/", dt);
}

template <typename T>
T* ptr(const Tensor& t) {
  return t.defined() ? static_cast<T*>(t.raw_data()) : nullptr;
}

// ---- launch geometry ----

inline constexpr int kThreads = 256;

// Blocks for a grid-stride loop over n items: enough to fill the device, never over the
// grid limit (kernels loop for the rest), never 0 (callers skip n == 0 first).
inline unsigned grid_for(int64_t n, int threads = kThreads) {
  const int64_t blocks = (n + threads - 1) / threads;
  return unsigned(blocks < 1 ? 1 : (blocks > 65535 * 8 ? 65535 * 8 : blocks));
}

// ---- dense copies ----

// `t` itself when contiguous, else a contiguous copy on the same device and stream.
Tensor dense(const Tensor& t, const char* op);
// A contiguous float copy of floating `t` cast to `dt` (or `t` when it is already that).
Tensor dense_as(const Tensor& t, DType dt, const char* op);
// Writes `src` (any strides, 0 for broadcast dims) into contiguous `dst` of the same sizes.
void gather_into(const Tensor& dst, const Tensor& src, const char* op);
// Writes contiguous `src` into `dst` of the same sizes and any (non-overlapping) strides.
void scatter_into(const Tensor& dst, const Tensor& src, const char* op);
// `src` expanded (PyTorch broadcasting) to `sizes`, written into contiguous `dst`.
void expand_into(const Tensor& dst, const Tensor& src, const char* op);
// Fills a contiguous tensor with zeros (cudaMemsetAsync).
void zero_(const Tensor& t, const char* op);

// ---- reductions ----

// Infinity on the device (std::numeric_limits is host-only without relaxed constexpr).
template <typename A> __device__ __forceinline__ A dev_inf();
template <> __device__ __forceinline__ float dev_inf<float>() { return __int_as_float(0x7f800000); }
template <> __device__ __forceinline__ double dev_inf<double>() {
  return __longlong_as_double(0x7ff0000000000000LL);
}

template <typename A>
__device__ __forceinline__ A warp_sum(A v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

template <typename A>
__device__ __forceinline__ A warp_max(A v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) {
    const A w = __shfl_xor_sync(0xffffffffu, v, o);
    // NaN propagates: a NaN on either side wins.
    v = (w > v || w != w) ? w : v;
  }
  return v;
}

// Sum over the block; every thread gets the result. `scratch` holds 32 values; the call
// ends with a barrier so scratch can be reused at once.
template <typename A>
__device__ A block_sum(A v, A* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int warps = (blockDim.x + 31) >> 5;
  v = warp_sum(v);
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  A r = lane < warps ? scratch[lane] : A(0);
  r = warp_sum(r);
  __syncthreads();
  return r;
}

template <typename A>
__device__ A block_max(A v, A* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int warps = (blockDim.x + 31) >> 5;
  v = warp_max(v);
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  A r = lane < warps ? scratch[lane] : -dev_inf<A>();
  r = warp_max(r);
  __syncthreads();
  return r;
}

template <typename A> __device__ __forceinline__ A dev_exp(A x) { return exp(x); }
template <> __device__ __forceinline__ float dev_exp<float>(float x) { return expf(x); }
template <typename A> __device__ __forceinline__ A dev_log(A x) { return log(x); }
template <> __device__ __forceinline__ float dev_log<float>(float x) { return logf(x); }

}  // namespace kiln::cuda_nn
