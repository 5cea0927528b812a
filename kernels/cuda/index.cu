// Gathers and scatters along one dim (index_select, gather, scatter*, index_add), the index
// bounds check, and tril/triu. Scatters with add/multiply use atomics, so their float sums
// are not bitwise reproducible across runs (as in PyTorch's CUDA backend).
#include "kernels/cuda/elementwise.cuh"
#include "kernels/cuda/launchers.h"

namespace kiln::cuda {
namespace {

__global__ void check_index_kernel(Iter it, int64_t size, int64_t* bad) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < it.numel; i += stride) {
    const int64_t v = static_cast<const int64_t*>(it.data[1])[arg_offset(it, 1, i)];
    if (v < 0 || v >= size) {
      atomicCAS(reinterpret_cast<unsigned long long*>(bad),
                static_cast<unsigned long long>(kNoBadIndex), static_cast<unsigned long long>(v));
    }
  }
}

template <typename T>
__global__ void __launch_bounds__(kThreads) gather_kernel(Iter it, int64_t src_step) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < it.numel; i += stride) {
    const int64_t k = static_cast<const int64_t*>(it.data[1])[arg_offset(it, 1, i)];
    static_cast<T*>(it.data[0])[arg_offset(it, 0, i)] =
        static_cast<const T*>(it.data[2])[arg_offset(it, 2, i) + k * src_step];
  }
}

// Read-modify-write of 1- and 2-byte values through a CAS on their aligned 32-bit word.
template <typename T, typename F>
__device__ void atomic_update_narrow(T* addr, F f) {
  static_assert(sizeof(T) == 1 || sizeof(T) == 2, "narrow types only");
  const uintptr_t a = reinterpret_cast<uintptr_t>(addr);
  unsigned int* word = reinterpret_cast<unsigned int*>(a & ~uintptr_t(3));
  const unsigned int shift = unsigned(a & 3) * 8;
  const unsigned int mask = (sizeof(T) == 1 ? 0xffu : 0xffffu) << shift;
  unsigned int old = *word, assumed;
  do {
    assumed = old;
    T cur;
    const unsigned int bits = (assumed & mask) >> shift;
    if constexpr (sizeof(T) == 1) {
      const unsigned char b = static_cast<unsigned char>(bits);
      memcpy(&cur, &b, 1);
    } else {
      const unsigned short b = static_cast<unsigned short>(bits);
      memcpy(&cur, &b, 2);
    }
    const T next = f(cur);
    unsigned int nb = 0;
    memcpy(&nb, &next, sizeof(T));
    old = atomicCAS(word, assumed, (assumed & ~mask) | ((nb << shift) & mask));
  } while (old != assumed);
}

// 4- and 8-byte values: CAS on the value's own bits.
template <typename T, typename F>
__device__ void atomic_update_wide(T* addr, F f) {
  using U = std::conditional_t<sizeof(T) == 4, unsigned int, unsigned long long>;
  U* p = reinterpret_cast<U*>(addr);
  U old = *p, assumed;
  do {
    assumed = old;
    T cur;
    memcpy(&cur, &assumed, sizeof(T));
    const T next = f(cur);
    U nb;
    memcpy(&nb, &next, sizeof(T));
    old = atomicCAS(p, assumed, nb);
  } while (old != assumed);
}

template <typename T>
__device__ void combine_at(T* addr, T v, int op) {
  using C = opmath_t<T>;
  if (op == 0) {
    *addr = v;
    return;
  }
  auto f = [=](T cur) -> T {
    if constexpr (std::is_same_v<T, bool>) return op == 1 ? (cur || v) : (cur && v);
    else return op == 1 ? cast_to<T>(cast_to<C>(cur) + cast_to<C>(v))
                        : cast_to<T>(cast_to<C>(cur) * cast_to<C>(v));
  };
  if (op == 1) {  // native atomic adds where the hardware has them
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double> ||
                  std::is_same_v<T, __half> || std::is_same_v<T, __nv_bfloat16> ||
                  std::is_same_v<T, int32_t>) {
      atomicAdd(addr, v);
      return;
    } else if constexpr (std::is_same_v<T, int64_t>) {
      atomicAdd(reinterpret_cast<unsigned long long*>(addr), static_cast<unsigned long long>(v));
      return;
    }
  }
  if constexpr (sizeof(T) <= 2) atomic_update_narrow(addr, f);
  else atomic_update_wide(addr, f);
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
    scatter_kernel(Iter it, int64_t dst_step, int op, Params alpha) {
  using C = opmath_t<T>;
  const bool scaled = alpha.f[0] != 1.0 || alpha.i[0] != 1;
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < it.numel; i += stride) {
    const int64_t k = static_cast<const int64_t*>(it.data[1])[arg_offset(it, 1, i)];
    T v = static_cast<const T*>(it.data[2])[arg_offset(it, 2, i)];
    if (scaled) {
      if constexpr (std::is_same_v<T, bool>) {
        v = v && alpha.i[0] != 0;
      } else if constexpr (std::is_floating_point_v<C>) {
        v = cast_to<T>(cast_to<C>(v) * C(alpha.f[0]));
      } else {
        v = cast_to<T>(cast_to<C>(v) * C(alpha.i[0]));
      }
    }
    combine_at(static_cast<T*>(it.data[0]) + arg_offset(it, 0, i) + k * dst_step, v, op);
  }
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
    triangle_kernel(Iter it, int64_t rows, int64_t cols, int64_t diagonal, bool lower) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < it.numel; i += stride) {
    const int64_t c = i % cols, r = (i / cols) % rows;
    const bool keep = lower ? (c - r <= diagonal) : (c - r >= diagonal);
    static_cast<T*>(it.data[0])[arg_offset(it, 0, i)] =
        keep ? static_cast<const T*>(it.data[1])[arg_offset(it, 1, i)] : T(0);  // 0 in every dtype
  }
}

}  // namespace

bool launch_check_index(const Iter& it, int64_t size, int64_t* bad, const Launch& l) {
  if (it.numel == 0) return true;
  check_index_kernel<<<blocks_for(it.numel, l), kThreads, 0, l.stream>>>(it, size, bad);
  return true;
}

bool launch_gather(const Iter& it, int64_t src_step, const Launch& l) {
  if (it.numel == 0) return true;
  KILN_CUDA_BY_SIZE(it.dtype[0], gather_kernel<U><<<blocks_for(it.numel, l), kThreads, 0,
                                                     l.stream>>>(it, src_step))
}

bool launch_scatter(const Iter& it, int64_t dst_step, int op, const Params& alpha,
                    const Launch& l) {
  if (it.numel == 0) return true;
  switch (it.dtype[0]) {
    KILN_CUDA_ALL_CASES(scatter_kernel<T><<<blocks_for(it.numel, l), kThreads, 0, l.stream>>>(
        it, dst_step, op, alpha))
  }
  return false;
}

bool launch_triangle(const Iter& it, int64_t rows, int64_t cols, int64_t diagonal, bool lower,
                     const Launch& l) {
  if (it.numel == 0) return true;
  KILN_CUDA_BY_SIZE(it.dtype[0], triangle_kernel<U><<<blocks_for(it.numel, l), kThreads, 0,
                                                       l.stream>>>(it, rows, cols, diagonal, lower))
}

}  // namespace kiln::cuda
