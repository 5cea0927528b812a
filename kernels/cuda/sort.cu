// sort / sort.stable / topk: every element becomes a 64-bit key whose unsigned order is the
// CPU kernel's order (kernels/cpu/sort.cc: NaN above every number, -0.0 equal to 0.0), paired
// with its position along the lane; CUB's segmented radix sort (stable in both directions)
// sorts each lane; a gather writes the first k of each lane to values/indices.
#include <cub/device/device_segmented_radix_sort.cuh>

#include "kernels/cuda/elementwise.cuh"
#include "kernels/cuda/launchers_cudaidx.h"

namespace kiln::cuda {
namespace {

using Key = unsigned long long;

__device__ __forceinline__ int64_t lane_offset(const LaneGeom& g, int k, int64_t lane) {
  int64_t off = 0;
  for (int d = g.ndim - 1; d >= 0; --d) {
    const int64_t s = g.sizes[d];
    const int64_t q = lane / s;
    off += (lane - q * s) * g.strides[k][d];
    lane = q;
  }
  return off;
}

// Floats: the sign-magnitude bits mapped onto unsigned order; every NaN to the top key.
__device__ __forceinline__ Key float_key(double v) {
  if (v != v) return ~Key(0);
  if (v == 0) v = 0;  // -0.0 and 0.0 compare equal, so they must share a key (stability)
  const Key b = Key(__double_as_longlong(v));
  return (b >> 63) ? ~b : (b | (Key(1) << 63));
}

__device__ __forceinline__ Key int_key(int64_t v) { return Key(v) ^ (Key(1) << 63); }

__global__ void __launch_bounds__(kThreads)
    keys_kernel(LaneGeom g, const void* self, int32_t dtype, int64_t len, int64_t first,
                int64_t n, Key* keys, int64_t* pos) {
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    const int64_t lane = i / len, j = i - lane * len;
    const int64_t off = lane_offset(g, 0, first + lane) + j * g.step[0];
    keys[i] = dtype >= kF16 ? float_key(load_dyn<double>(self, off, dtype))
                            : int_key(load_dyn<int64_t>(self, off, dtype));
    pos[i] = j;
  }
}

__global__ void __launch_bounds__(kThreads) offsets_kernel(int* offs, int64_t lanes, int64_t len) {
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t s = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; s <= lanes; s += step) {
    offs[s] = int(s * len);  // the caller keeps lanes * len within int
  }
}

template <typename U>
__global__ void __launch_bounds__(kThreads)
    gather_kernel(LaneGeom g, const U* self, U* values, int64_t* indices, int64_t len, int64_t k,
                  int64_t first, int64_t n, const int64_t* pos) {
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    const int64_t lane = i / k, j = i - lane * k;
    const int64_t p = pos[lane * len + j];
    values[lane_offset(g, 1, first + lane) + j * g.step[1]] =
        self[lane_offset(g, 0, first + lane) + p * g.step[0]];
    indices[lane_offset(g, 2, first + lane) + j * g.step[2]] = p;
  }
}

}  // namespace

bool launch_sort_keys(const LaneGeom& g, const void* self, int32_t dtype, int64_t len,
                      int64_t first, int64_t lanes, Key* keys, int64_t* pos, int* offs,
                      const Launch& l) {
  const int64_t n = lanes * len;
  if (n == 0) return true;
  keys_kernel<<<blocks_for(n, l), kThreads, 0, l.stream>>>(g, self, dtype, len, first, n, keys,
                                                           pos);
  offsets_kernel<<<blocks_for(lanes + 1, l), kThreads, 0, l.stream>>>(offs, lanes, len);
  return true;
}

int launch_sort_pairs(void* temp, size_t* temp_bytes, const Key* keys_in, Key* keys_out,
                      const int64_t* pos_in, int64_t* pos_out, int64_t len, int64_t lanes,
                      const int* offs, bool descending, const Launch& l) {
  const int n = int(lanes * len), segs = int(lanes);
  cudaError_t e;
  if (descending) {
    e = cub::DeviceSegmentedRadixSort::SortPairsDescending(temp, *temp_bytes, keys_in, keys_out,
                                                           pos_in, pos_out, n, segs, offs,
                                                           offs + 1, 0, 64, l.stream);
  } else {
    e = cub::DeviceSegmentedRadixSort::SortPairs(temp, *temp_bytes, keys_in, keys_out, pos_in,
                                                 pos_out, n, segs, offs, offs + 1, 0, 64,
                                                 l.stream);
  }
  return int(e);
}

bool launch_sort_gather(const LaneGeom& g, const void* self, void* values, int64_t* indices,
                        int32_t dtype, int64_t len, int64_t k, int64_t first, int64_t lanes,
                        const int64_t* pos, const Launch& l) {
  const int64_t n = lanes * k;
  if (n == 0) return true;
  KILN_CUDA_BY_SIZE(dtype, gather_kernel<U><<<blocks_for(n, l), kThreads, 0, l.stream>>>(
                               g, static_cast<const U*>(self), static_cast<U*>(values), indices,
                               len, k, first, n, pos))
}

}  // namespace kiln::cuda
