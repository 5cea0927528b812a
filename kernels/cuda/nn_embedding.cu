// Embedding lookups and their dense gradient. Indices (int32 or int64) are checked on the
// device first and the first bad one is thrown (one sync). The backward adds rows with
// atomics into a float32 (float64) buffer, so float32 sums may differ in the last bits
// between runs; half types are cast from that buffer once at the end.
#include "kernels/cuda/nn_common.cuh"
#include "kernels/cuda/nn_kernels.h"

namespace kiln::cuda {

using namespace cuda_nn;  // NOLINT

namespace {

template <typename I>
__global__ void find_bad_index(unsigned long long* first, const I* __restrict__ idx, int64_t n,
                               int64_t size) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t v = int64_t(idx[i]);
    if (v < 0 || v >= size) atomicMin(first, (unsigned long long)i);
  }
}

template <typename F>
void dispatch_index(DType t, const char* op, F&& fn) {
  if (t == DType::kInt64) {
    fn(TypeTag<int64_t>{});
  } else if (t == DType::kInt32) {
    fn(TypeTag<int32_t>{});
  } else {
    KILN_CHECK_TYPE(false, op, ": Expected tensor for argument #2 'indices' to have one of the "
                    "following scalar types: Long, Int; but got ", t, " instead");
  }
}

void check_indices(const char* op, const Tensor& idx, int64_t size) {
  const int64_t n = idx.numel();
  if (n == 0) return;
  cudaStream_t s = stream_for(idx);
  Tensor flag = empty_tensor({1}, DType::kInt64, idx.device());
  check_cuda(cudaMemsetAsync(flag.raw_data(), 0xff, 8, s), op, "cudaMemsetAsync");
  dispatch_index(idx.dtype(), op, [&](auto I_tag) {
    using I = typename decltype(I_tag)::type;
    find_bad_index<I><<<grid_for(n), kThreads, 0, s>>>(ptr<unsigned long long>(flag), ptr<I>(idx),
                                                       n, size);
  });
  check_launch(op);
  unsigned long long first = 0;
  check_cuda(cudaMemcpyAsync(&first, flag.raw_data(), 8, cudaMemcpyDeviceToHost, s), op,
             "cudaMemcpyAsync");
  check_cuda(cudaStreamSynchronize(s), op, "cudaStreamSynchronize");
  if (first == ~0ull) return;
  int64_t bad = 0;
  if (idx.dtype() == DType::kInt64) {
    check_cuda(cudaMemcpyAsync(&bad, ptr<int64_t>(idx) + first, 8, cudaMemcpyDeviceToHost, s), op,
               "cudaMemcpyAsync");
  } else {
    int32_t b32 = 0;
    check_cuda(cudaMemcpyAsync(&b32, ptr<int32_t>(idx) + first, 4, cudaMemcpyDeviceToHost, s), op,
               "cudaMemcpyAsync");
    check_cuda(cudaStreamSynchronize(s), op, "cudaStreamSynchronize");
    bad = b32;
  }
  check_cuda(cudaStreamSynchronize(s), op, "cudaStreamSynchronize");
  KILN_CHECK_INDEX(false, op, ": index out of range in self (index ", bad, " for ", size,
                   " embeddings)");
}

// out (n, d) = weight[idx] rows; element-wise over n * d, copied as raw elements of E.
template <typename E, typename I>
__global__ void gather_rows(E* __restrict__ out, const E* __restrict__ w, const I* __restrict__ idx,
                            int64_t n, int64_t d) {
  const int64_t total = n * d;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t r = i / d, j = i - r * d;
    out[i] = w[int64_t(idx[r]) * d + j];
  }
}

template <typename I>
__global__ void count_indices(int32_t* __restrict__ counts, const I* __restrict__ idx, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    atomicAdd(counts + idx[i], 1);
  }
}

template <typename T, typename I, typename A>
__global__ void scatter_add_rows(A* __restrict__ acc, const T* __restrict__ g,
                                 const I* __restrict__ idx, const int32_t* __restrict__ counts,
                                 int64_t n, int64_t d, int64_t padding_idx) {
  const int64_t total = n * d;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t r = i / d, j = i - r * d;
    const int64_t row = int64_t(idx[r]);
    if (row == padding_idx) continue;
    A v = A(to_acc(g[i]));
    if (counts) v = v / A(counts[row]);
    atomicAdd(acc + row * d + j, v);
  }
}

template <typename T, typename A>
__global__ void cast_out(T* __restrict__ out, const A* __restrict__ acc, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    out[i] = from_acc<T>(acc_t<T>(acc[i]));
  }
}

}  // namespace

void embedding(const Tensor& out, const Tensor& weight_, const Tensor& indices_, int64_t, bool,
               bool) {
  static constexpr const char* kOp = "embedding";
  DeviceGuard guard(out, kOp);
  const Tensor indices = dense(indices_, kOp);
  check_indices(kOp, indices, weight_.sizes()[0]);
  if (out.numel() == 0) return;
  const Tensor weight = dense(weight_, kOp);
  const int64_t n = indices.numel(), d = weight.sizes()[1];
  cudaStream_t s = stream_for(out);
  dispatch_index(indices.dtype(), kOp, [&](auto I_tag) {
    using I = typename decltype(I_tag)::type;
    const I* ip = ptr<I>(indices);
    switch (weight.element_size()) {
      case 1: gather_rows<<<grid_for(n * d), kThreads, 0, s>>>(ptr<uint8_t>(out), ptr<uint8_t>(weight), ip, n, d); break;
      case 2: gather_rows<<<grid_for(n * d), kThreads, 0, s>>>(ptr<uint16_t>(out), ptr<uint16_t>(weight), ip, n, d); break;
      case 4: gather_rows<<<grid_for(n * d), kThreads, 0, s>>>(ptr<uint32_t>(out), ptr<uint32_t>(weight), ip, n, d); break;
      case 8: gather_rows<<<grid_for(n * d), kThreads, 0, s>>>(ptr<uint64_t>(out), ptr<uint64_t>(weight), ip, n, d); break;
      default: KILN_ASSERT(false, "element size ", weight.element_size());
    }
  });
  check_launch(kOp);
}

void embedding_dense_backward(const Tensor& out, const Tensor& grad_output_, const Tensor& indices_,
                              int64_t num_weights, int64_t padding_idx, bool scale_grad_by_freq) {
  static constexpr const char* kOp = "embedding_dense_backward";
  DeviceGuard guard(out, kOp);
  const Tensor indices = dense(indices_, kOp);
  check_indices(kOp, indices, num_weights);
  KILN_ASSERT(out.is_contiguous(), kOp, ": output layout");
  zero_(out, kOp);
  const int64_t n = indices.numel(), d = out.sizes()[1];
  if (n == 0 || d == 0) return;
  cudaStream_t s = stream_for(out);
  const Tensor go = dense(grad_output_, kOp);
  Tensor counts;
  if (scale_grad_by_freq) {
    counts = empty_tensor({num_weights}, DType::kInt32, out.device());
    zero_(counts, kOp);
    dispatch_index(indices.dtype(), kOp, [&](auto I_tag) {
    using I = typename decltype(I_tag)::type;
      count_indices<I><<<grid_for(n), kThreads, 0, s>>>(ptr<int32_t>(counts), ptr<I>(indices), n);
    });
    check_launch(kOp);
  }
  dispatch_floating(out.dtype(), kOp, [&](auto T_tag) {
    using T = typename decltype(T_tag)::type;
    using A = acc_t<T>;
    const bool direct = std::is_same_v<T, A>;
    Tensor acc = direct ? out
                        : empty_tensor(out.sizes(), std::is_same_v<A, double> ? DType::kFloat64
                                                                              : DType::kFloat32,
                                       out.device());
    if (!direct) zero_(acc, kOp);
    dispatch_index(indices.dtype(), kOp, [&](auto I_tag) {
    using I = typename decltype(I_tag)::type;
      scatter_add_rows<T, I, A><<<grid_for(n * d), kThreads, 0, s>>>(
          ptr<A>(acc), ptr<T>(go), ptr<I>(indices), ptr<int32_t>(counts), n, d, padding_idx);
    });
    if (!direct) {
      cast_out<T, A><<<grid_for(out.numel()), kThreads, 0, s>>>(ptr<T>(out), ptr<A>(acc), out.numel());
    }
  });
  check_launch(kOp);
}

}  // namespace kiln::cuda
