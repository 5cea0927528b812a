// Dropout on the CPU kernel's Philox stream: element i keeps its value when the uniform from
// word i % 4 of counter (offset + i / 4) is below 1 - p. The counters come from the default
// generator as on CPU, so a seed gives the same mask on either device.
#include "engine/core/generator.h"
#include "kernels/cuda/nn_common.cuh"
#include "kernels/cuda/nn_kernels.h"

namespace kiln::cuda {

using namespace cuda_nn;  // NOLINT

namespace {

__device__ __forceinline__ uint4 philox10(uint64_t ctr, uint64_t seed) {
  uint32_t c0 = uint32_t(ctr), c1 = uint32_t(ctr >> 32), c2 = 0, c3 = 0;
  uint32_t k0 = uint32_t(seed), k1 = uint32_t(seed >> 32);
#pragma unroll
  for (int r = 0; r < 10; ++r) {
    const uint32_t hi0 = __umulhi(0xD2511F53u, c0), lo0 = 0xD2511F53u * c0;
    const uint32_t hi1 = __umulhi(0xCD9E8D57u, c2), lo1 = 0xCD9E8D57u * c2;
    const uint32_t n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return make_uint4(c0, c1, c2, c3);
}

template <typename T>
__global__ void dropout_kernel(T* __restrict__ y, bool* __restrict__ mask, const T* __restrict__ x,
                               int64_t n, uint64_t seed, uint64_t offset, float keep_below,
                               acc_t<T> scale) {
  using A = acc_t<T>;
  const int64_t blocks = (n + 3) / 4;
  for (int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; c < blocks;
       c += int64_t(gridDim.x) * blockDim.x) {
    const uint4 w = philox10(offset + uint64_t(c), seed);
    const uint32_t words[4] = {w.x, w.y, w.z, w.w};
#pragma unroll
    for (int k = 0; k < 4; ++k) {
      const int64_t i = c * 4 + k;
      if (i >= n) break;
      const bool keep = float(words[k] >> 8) * (1.0f / 16777216.0f) < keep_below;
      mask[i] = keep;
      y[i] = keep ? from_acc<T>(to_acc(x[i]) * scale) : from_acc<T>(A(0));
    }
  }
}

template <typename T>
__global__ void dropout_backward_kernel(T* __restrict__ out, const T* __restrict__ g,
                                        const bool* __restrict__ mask, int64_t n,
                                        acc_t<T> scale) {
  using A = acc_t<T>;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    out[i] = mask[i] ? from_acc<T>(to_acc(g[i]) * scale) : from_acc<T>(A(0));
  }
}

}  // namespace

void native_dropout(const Tensor& output, const Tensor& mask, const Tensor& input_, double p,
                    bool train) {
  static constexpr const char* kOp = "native_dropout";
  DeviceGuard guard(output, kOp);
  const int64_t n = output.numel();
  cudaStream_t s = stream_for(output);
  KILN_ASSERT(output.is_contiguous() && mask.is_contiguous(), kOp, ": output layout");
  if (!train || p == 0) {
    // A copy and an all-true mask; eval draws nothing (as PyTorch), train at p == 0 does.
    if (n > 0) {
      gather_into(output, input_, kOp);
      check_cuda(cudaMemsetAsync(mask.raw_data(), 1, size_t(n), s), kOp, "cudaMemsetAsync");
    }
    if (train) (void)default_generator().reserve(uint64_t((n + 3) / 4));
    return;
  }
  const std::pair<uint64_t, uint64_t> stream = default_generator().reserve(uint64_t((n + 3) / 4));
  const uint64_t seed = stream.first, offset = stream.second;
  if (n == 0) return;
  const Tensor input = dense(input_, kOp);
  const float keep_below = float(1.0 - p);
  dispatch_floating(output.dtype(), kOp, [&](auto T_tag) {
    using T = typename decltype(T_tag)::type;
    using A = acc_t<T>;
    const A scale = p >= 1 ? A(0) : A(1.0 / (1.0 - p));
    dropout_kernel<T><<<grid_for((n + 3) / 4), kThreads, 0, s>>>(
        ptr<T>(output), ptr<bool>(mask), ptr<T>(input), n, seed, offset, keep_below, scale);
  });
  check_launch(kOp);
}

void native_dropout_backward(const Tensor& out, const Tensor& grad_output, const Tensor& mask_,
                             double scale) {
  static constexpr const char* kOp = "native_dropout_backward";
  DeviceGuard guard(out, kOp);
  const int64_t n = out.numel();
  if (n == 0) return;
  KILN_ASSERT(out.is_contiguous(), kOp, ": output layout");
  const Tensor g = dense(grad_output, kOp), mask = dense(mask_, kOp);
  cudaStream_t s = stream_for(out);
  dispatch_floating(out.dtype(), kOp, [&](auto T_tag) {
    using T = typename decltype(T_tag)::type;
    dropout_backward_kernel<T><<<grid_for(n), kThreads, 0, s>>>(ptr<T>(out), ptr<T>(g),
                                                                ptr<bool>(mask), n,
                                                                acc_t<T>(scale));
  });
  check_launch(kOp);
}

}  // namespace kiln::cuda
