// cumsum / cumprod: one thread per lane walks its lane in order (exact PyTorch order for
// integers; float sums accumulate in opmath). Lanes are independent, so long lanes with few
// of them are slow: a block-wide scan is the known next step.
#include "kernels/cuda/launchers.h"
#include "kernels/cuda/reduce_ops.cuh"

namespace kiln::cuda {
namespace {

template <typename C>
__global__ void __launch_bounds__(kThreads)
    scan_kernel(Iter it, int64_t len, int64_t out_step, int64_t in_step, bool prod) {
  using Acc = C;
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < it.numel; i += stride) {
    const int64_t o = arg_offset(it, 0, i), n = arg_offset(it, 1, i);
    Acc acc = prod ? Acc(1) : Acc(0);
    for (int64_t k = 0; k < len; ++k) {
      const Acc x = load_dyn<C>(it.data[1], n + k * in_step, it.dtype[1]);
      acc = prod ? Acc(acc * x) : Acc(acc + x);
      store_dyn(it.data[0], o + k * out_step, it.dtype[0], acc);
    }
  }
}

}  // namespace

bool launch_scan(bool prod, const Iter& it, int64_t len, int64_t out_step, int64_t in_step,
                 const Launch& l) {
  if (it.numel == 0 || len == 0) return true;
  KILN_CUDA_COMPUTE(it.dtype[0], scan_kernel<C><<<blocks_for(it.numel, l), kThreads, 0, l.stream>>>(
                                     it, len, out_step, in_step, prod))
}

}  // namespace kiln::cuda
