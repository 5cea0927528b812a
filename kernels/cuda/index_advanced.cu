// Advanced indexing's device half: each index tensor (broadcast to the index shape B) is
// bounds-checked, then adds its wrapped values times its dim's stride into one element offset
// per position of B. The moves themselves reuse index.cu's gather and scatter over views.
#include "kernels/cuda/elementwise.cuh"
#include "kernels/cuda/launchers_cudaidx.h"

namespace kiln::cuda {
namespace {

__global__ void __launch_bounds__(kThreads)
    offsets_kernel(Iter it, int64_t size, int64_t stride, int mode, int64_t* bad) {
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < it.numel; i += step) {
    const int64_t v = load_dyn<int64_t>(it.data[1], arg_offset(it, 1, i), it.dtype[1]);
    if (mode == 0) {
      if (v < -size || v >= size) {
        atomicMin(reinterpret_cast<long long*>(bad), static_cast<long long>(i));
      }
    } else if (mode == 1) {
      if (i == bad[0]) bad[1] = v;
    } else {
      int64_t* o = static_cast<int64_t*>(it.data[0]) + arg_offset(it, 0, i);
      *o += (v < 0 ? v + size : v) * stride;
    }
  }
}

}  // namespace

bool launch_index_offsets(const Iter& it, int64_t size, int64_t stride, int mode, int64_t* bad,
                          const Launch& l) {
  if (it.numel == 0) return true;
  const int64_t b = (it.numel + kThreads - 1) / kThreads;
  const unsigned blocks = unsigned(b < l.max_blocks ? b : l.max_blocks);
  offsets_kernel<<<blocks, kThreads, 0, l.stream>>>(it, size, stride, mode, bad);
  return true;
}

}  // namespace kiln::cuda
