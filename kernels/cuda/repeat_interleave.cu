// repeat_interleave.Tensor: an inclusive scan of the repeats (CUB, saturating so an overflow
// shows as INT64_MAX), one small read for the total and the negative-repeat flag, then each
// output element finds its source by a binary search over the scan (even work per thread
// however unequal the repeats).
#include <cub/device/device_scan.cuh>

#include "kernels/cuda/elementwise.cuh"
#include "kernels/cuda/launchers_cudaidx.h"

namespace kiln::cuda {
namespace {

// Sum of the non-negative parts, stuck at INT64_MAX: associative on non-negative values, and
// a negative repeat is reported (and the result discarded) anyway.
struct SatAdd {
  __host__ __device__ int64_t operator()(int64_t a, int64_t b) const {
    a = a < 0 ? 0 : a;
    b = b < 0 ? 0 : b;
    return a > INT64_MAX - b ? INT64_MAX : a + b;
  }
};

__global__ void __launch_bounds__(kThreads)
    negative_kernel(const int64_t* r, int64_t n, int64_t* info) {
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    if (r[i] < 0) info[0] = 1;  // any writer will do: all write the same
  }
}

__global__ void total_kernel(const int64_t* cum, int64_t n, int64_t* info) {
  info[1] = cum[n - 1] < 0 ? 0 : cum[n - 1];
}

__global__ void __launch_bounds__(kThreads)
    fill_kernel(const int64_t* cum, int64_t n, int64_t* out, int64_t total) {
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t j = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; j < total; j += step) {
    // The first i with cum[i] > j.
    int64_t lo = 0, hi = n - 1;
    while (lo < hi) {
      const int64_t mid = lo + (hi - lo) / 2;
      if (cum[mid] > j) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    out[j] = lo;
  }
}

}  // namespace

int repeat_scan_temp_bytes(int64_t n, size_t* temp_bytes) {
  const int64_t* none = nullptr;
  int64_t* out = nullptr;
  return int(cub::DeviceScan::InclusiveScan(nullptr, *temp_bytes, none, out, SatAdd{}, n,
                                            cudaStream_t(nullptr)));
}

int launch_repeat_scan(void* temp, size_t temp_bytes, const int64_t* r, int64_t* cum,
                       int64_t n, int64_t* info, const Launch& l) {
  cudaError_t e = cudaMemsetAsync(info, 0, 2 * sizeof(int64_t), l.stream);
  if (e != cudaSuccess) return int(e);
  negative_kernel<<<blocks_for(n, l), kThreads, 0, l.stream>>>(r, n, info);
  e = cudaGetLastError();
  if (e != cudaSuccess) return int(e);
  e = cub::DeviceScan::InclusiveScan(temp, temp_bytes, r, cum, SatAdd{}, n, l.stream);
  if (e != cudaSuccess) return int(e);
  total_kernel<<<1, 1, 0, l.stream>>>(cum, n, info);
  return int(cudaGetLastError());
}

bool launch_repeat_fill(const int64_t* cum, int64_t n, int64_t* out, int64_t total,
                        const Launch& l) {
  if (total == 0) return true;
  fill_kernel<<<blocks_for(total, l), kThreads, 0, l.stream>>>(cum, n, out, total);
  return true;
}

}  // namespace kiln::cuda
