// nonzero / masked_select: pass 1 counts the selected elements of each fixed chunk, the host
// turns the counts into start offsets (exact output size known before allocating), pass 2
// writes each chunk's elements in order with a block-wide prefix sum per 256-element round.
#include "kernels/cuda/elementwise.cuh"
#include "kernels/cuda/launchers.h"

namespace kiln::cuda {
namespace {

__device__ __forceinline__ bool selected(const Iter& it, int64_t i) {
  const int64_t off = arg_offset(it, 1, i);
  return it.dtype[1] >= kF16 ? load_dyn<double>(it.data[1], off, it.dtype[1]) != 0.0  // NaN too
                             : load_dyn<int64_t>(it.data[1], off, it.dtype[1]) != 0;
}

__global__ void __launch_bounds__(kThreads) count_kernel(Iter it, int64_t* counts) {
  __shared__ int64_t part[kThreads];
  const int64_t nchunks = (it.numel + kSelectChunk - 1) / kSelectChunk;
  for (int64_t c = blockIdx.x; c < nchunks; c += gridDim.x) {
    const int64_t lo = c * kSelectChunk;
    const int64_t hi = lo + kSelectChunk < it.numel ? lo + kSelectChunk : it.numel;
    int64_t n = 0;
    for (int64_t i = lo + threadIdx.x; i < hi; i += kThreads) n += selected(it, i);
    part[threadIdx.x] = n;
    __syncthreads();
    for (int w = kThreads / 2; w > 0; w >>= 1) {
      if (int(threadIdx.x) < w) part[threadIdx.x] += part[threadIdx.x + w];
      __syncthreads();
    }
    if (threadIdx.x == 0) counts[c] = part[0];
    __syncthreads();
  }
}

template <typename U>
__global__ void __launch_bounds__(kThreads)
    write_kernel(Iter it, const int64_t* starts, void* out, bool coords, SelectShape shape) {
  __shared__ int64_t scan[kThreads];
  const int64_t nchunks = (it.numel + kSelectChunk - 1) / kSelectChunk;
  for (int64_t c = blockIdx.x; c < nchunks; c += gridDim.x) {
    int64_t base = starts[c];
    const int64_t lo = c * kSelectChunk;
    const int64_t hi = lo + kSelectChunk < it.numel ? lo + kSelectChunk : it.numel;
    for (int64_t r = lo; r < hi; r += kThreads) {
      const int64_t i = r + threadIdx.x;
      const bool f = i < hi && selected(it, i);
      // Inclusive Hillis-Steele scan of the flags of this round.
      scan[threadIdx.x] = f;
      __syncthreads();
      for (int w = 1; w < kThreads; w <<= 1) {
        const int64_t add = int(threadIdx.x) >= w ? scan[threadIdx.x - w] : 0;
        __syncthreads();
        scan[threadIdx.x] += add;
        __syncthreads();
      }
      if (f) {
        const int64_t at = base + scan[threadIdx.x] - 1;
        if (coords) {
          int64_t rem = i;
          int64_t* row = static_cast<int64_t*>(out) + at * shape.ndim;
          for (int d = shape.ndim - 1; d >= 0; --d) {
            row[d] = rem % shape.sizes[d];
            rem /= shape.sizes[d];
          }
        } else {
          static_cast<U*>(out)[at] = static_cast<const U*>(it.data[2])[arg_offset(it, 2, i)];
        }
      }
      base += scan[kThreads - 1];
      __syncthreads();
    }
  }
}

}  // namespace

bool launch_select_count(const Iter& it, int64_t* counts, const Launch& l) {
  if (it.numel == 0) return true;
  const int64_t nchunks = (it.numel + kSelectChunk - 1) / kSelectChunk;
  count_kernel<<<int(nchunks < l.max_blocks ? nchunks : l.max_blocks), kThreads, 0, l.stream>>>(
      it, counts);
  return true;
}

bool launch_select_write(const Iter& it, const int64_t* starts, void* out, int32_t src_dtype,
                         const SelectShape& shape, const Launch& l) {
  if (it.numel == 0) return true;
  const int64_t nchunks = (it.numel + kSelectChunk - 1) / kSelectChunk;
  const int blocks = int(nchunks < l.max_blocks ? nchunks : l.max_blocks);
  if (src_dtype < 0) {
    write_kernel<uint64_t><<<blocks, kThreads, 0, l.stream>>>(it, starts, out, true, shape);
    return true;
  }
  KILN_CUDA_BY_SIZE(src_dtype, write_kernel<U><<<blocks, kThreads, 0, l.stream>>>(
                                   it, starts, out, false, shape))
}

}  // namespace kiln::cuda
