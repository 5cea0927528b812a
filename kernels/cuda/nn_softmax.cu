// softmax / log_softmax along a dim and their backward. The tensor is seen as (outer, size,
// inner) around dim. inner == 1 (the usual last dim): one warp (size <= 1024) or one block
// per row, an online max/sum pass then a write pass. inner > 1: one thread per column, reads
// coalesced across inner. Half types compute in float.
#include "kernels/cuda/nn_common.cuh"
#include "kernels/cuda/nn_kernels.h"

namespace kiln::cuda {

using namespace cuda_nn;  // NOLINT

namespace {

struct Around {
  int64_t outer = 1, size = 1, inner = 1;
  Around(const Shape& sizes, int64_t dim) {
    const int64_t nd = int64_t(sizes.size());
    if (nd == 0) return;
    if (dim < 0) dim += nd;
    for (int64_t d = 0; d < dim; ++d) outer *= sizes[size_t(d)];
    size = sizes[size_t(dim)];
    for (int64_t d = dim + 1; d < nd; ++d) inner *= sizes[size_t(d)];
  }
};

// Running (max, sum of exp(x - max)); -inf max means an empty sum.
template <typename A>
struct MaxSum {
  A m, s;
};

template <typename A>
__device__ __forceinline__ MaxSum<A> combine(MaxSum<A> a, MaxSum<A> b) {
  const A inf = dev_inf<A>();
  if (a.m == -inf) return b;
  if (b.m == -inf) return a;
  // NaN on either side makes the row NaN.
  const A m = (b.m > a.m || b.m != b.m) ? b.m : a.m;
  return {m, a.s * dev_exp(a.m - m) + b.s * dev_exp(b.m - m)};
}

template <typename A>
__device__ __forceinline__ MaxSum<A> warp_combine(MaxSum<A> v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) {
    MaxSum<A> w{__shfl_xor_sync(0xffffffffu, v.m, o), __shfl_xor_sync(0xffffffffu, v.s, o)};
    v = combine(v, w);
  }
  return v;
}

// Combines a thread's (m, s) over the block (blockDim.x threads, one row).
template <typename A>
__device__ MaxSum<A> block_combine(MaxSum<A> v) {
  __shared__ A sm[32], ss[32];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int warps = (blockDim.x + 31) >> 5;
  v = warp_combine(v);
  if (lane == 0) {
    sm[warp] = v.m;
    ss[warp] = v.s;
  }
  __syncthreads();
  MaxSum<A> r{-dev_inf<A>(), A(0)};
  if (lane < warps) r = {sm[lane], ss[lane]};
  r = warp_combine(r);
  __syncthreads();
  return r;
}

template <typename T, bool kLog>
__device__ __forceinline__ void write_row(T* y, const T* x, int64_t n, MaxSum<acc_t<T>> r,
                                          int start, int step) {
  using A = acc_t<T>;
  if (kLog) {
    const A shift = r.m + dev_log(r.s);
    for (int64_t i = start; i < n; i += step) y[i] = from_acc<T>(to_acc(x[i]) - shift);
  } else {
    const A inv = A(1) / r.s;
    for (int64_t i = start; i < n; i += step) y[i] = from_acc<T>(dev_exp(to_acc(x[i]) - r.m) * inv);
  }
}

// One warp per row; blockDim (32, rows per block).
template <typename T, bool kLog>
__global__ void softmax_warp_rows(T* __restrict__ y, const T* __restrict__ x, int64_t rows,
                                  int64_t n) {
  using A = acc_t<T>;
  const int64_t row = int64_t(blockIdx.x) * blockDim.y + threadIdx.y;
  if (row >= rows) return;  // whole warps leave together: shuffles stay converged
  const T* xr = x + row * n;
  MaxSum<A> v{-dev_inf<A>(), A(0)};
  for (int64_t i = threadIdx.x; i < n; i += 32) v = combine(v, MaxSum<A>{to_acc(xr[i]), A(1)});
  v = warp_combine(v);
  write_row<T, kLog>(y + row * n, xr, n, v, threadIdx.x, 32);
}

// One block per row (long rows).
template <typename T, bool kLog>
__global__ void softmax_block_rows(T* __restrict__ y, const T* __restrict__ x, int64_t n) {
  using A = acc_t<T>;
  const int64_t row = blockIdx.x;
  const T* xr = x + row * n;
  MaxSum<A> v{-dev_inf<A>(), A(0)};
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
    v = combine(v, MaxSum<A>{to_acc(xr[i]), A(1)});
  }
  v = block_combine(v);
  write_row<T, kLog>(y + row * n, xr, n, v, threadIdx.x, blockDim.x);
}

// One thread per (outer, inner) column, walking size with stride inner.
template <typename T, bool kLog>
__global__ void softmax_cols(T* __restrict__ y, const T* __restrict__ x, int64_t outer,
                             int64_t size, int64_t inner) {
  using A = acc_t<T>;
  const int64_t cols = outer * inner;
  for (int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; c < cols;
       c += int64_t(gridDim.x) * blockDim.x) {
    const int64_t o = c / inner, j = c - o * inner;
    const T* xc = x + o * size * inner + j;
    T* yc = y + o * size * inner + j;
    MaxSum<A> v{-dev_inf<A>(), A(0)};
    for (int64_t k = 0; k < size; ++k) v = combine(v, MaxSum<A>{to_acc(xc[k * inner]), A(1)});
    const A shift = v.m + dev_log(v.s), inv = A(1) / v.s;
    for (int64_t k = 0; k < size; ++k) {
      const A xv = to_acc(xc[k * inner]);
      yc[k * inner] = from_acc<T>(kLog ? xv - shift : dev_exp(xv - v.m) * inv);
    }
  }
}

// Backward. softmax: gi = y (g - sum(g y)); log_softmax: gi = g - exp(y) sum(g).
template <typename T, bool kLog>
__device__ __forceinline__ acc_t<T> bwd_term(T g, T y) {
  return kLog ? to_acc(g) : to_acc(g) * to_acc(y);
}
template <typename T, bool kLog>
__device__ __forceinline__ T bwd_out(T g, T y, acc_t<T> s) {
  return kLog ? from_acc<T>(to_acc(g) - dev_exp(to_acc(y)) * s)
              : from_acc<T>(to_acc(y) * (to_acc(g) - s));
}

template <typename T, bool kLog>
__global__ void softmax_bwd_warp_rows(T* __restrict__ gi, const T* __restrict__ g,
                                      const T* __restrict__ y, int64_t rows, int64_t n) {
  using A = acc_t<T>;
  const int64_t row = int64_t(blockIdx.x) * blockDim.y + threadIdx.y;
  if (row >= rows) return;
  const T* gr = g + row * n;
  const T* yr = y + row * n;
  A s = 0;
  for (int64_t i = threadIdx.x; i < n; i += 32) s += bwd_term<T, kLog>(gr[i], yr[i]);
  s = warp_sum(s);
  for (int64_t i = threadIdx.x; i < n; i += 32) gi[row * n + i] = bwd_out<T, kLog>(gr[i], yr[i], s);
}

template <typename T, bool kLog>
__global__ void softmax_bwd_block_rows(T* __restrict__ gi, const T* __restrict__ g,
                                       const T* __restrict__ y, int64_t n) {
  using A = acc_t<T>;
  __shared__ A scratch[32];
  const int64_t row = blockIdx.x;
  const T* gr = g + row * n;
  const T* yr = y + row * n;
  A s = 0;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) s += bwd_term<T, kLog>(gr[i], yr[i]);
  s = block_sum(s, scratch);
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
    gi[row * n + i] = bwd_out<T, kLog>(gr[i], yr[i], s);
  }
}

template <typename T, bool kLog>
__global__ void softmax_bwd_cols(T* __restrict__ gi, const T* __restrict__ g,
                                 const T* __restrict__ y, int64_t outer, int64_t size,
                                 int64_t inner) {
  using A = acc_t<T>;
  const int64_t cols = outer * inner;
  for (int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; c < cols;
       c += int64_t(gridDim.x) * blockDim.x) {
    const int64_t o = c / inner, j = c - o * inner;
    const int64_t base = o * size * inner + j;
    A s = 0;
    for (int64_t k = 0; k < size; ++k) s += bwd_term<T, kLog>(g[base + k * inner], y[base + k * inner]);
    for (int64_t k = 0; k < size; ++k) {
      gi[base + k * inner] = bwd_out<T, kLog>(g[base + k * inner], y[base + k * inner], s);
    }
  }
}

// Rows per block for the warp kernels; block-per-row beyond this row length.
inline constexpr int kWarpRows = 8;
inline constexpr int64_t kWarpRowMax = 1024;

template <bool kLog>
void softmax_any(const Tensor& out, const Tensor& self_, int64_t dim, const char* op) {
  if (out.numel() == 0) return;
  const Tensor self = dense(self_, op);
  const Around g(self.sizes(), dim);
  DeviceGuard guard(out, op);
  cudaStream_t s = stream_for(out);
  dispatch_floating(out.dtype(), op, [&](auto T_tag) {
    using T = typename decltype(T_tag)::type;
    T* y = ptr<T>(out);
    const T* x = ptr<T>(self);
    if (g.inner == 1) {
      if (g.size <= kWarpRowMax) {
        const int64_t blocks = (g.outer + kWarpRows - 1) / kWarpRows;
        KILN_CHECK(blocks <= int64_t(std::numeric_limits<int>::max()), op, ": too many rows");
        softmax_warp_rows<T, kLog><<<unsigned(blocks), dim3(32, kWarpRows), 0, s>>>(y, x, g.outer, g.size);
      } else {
        KILN_CHECK(g.outer <= int64_t(std::numeric_limits<int>::max()), op, ": too many rows");
        softmax_block_rows<T, kLog><<<unsigned(g.outer), 512, 0, s>>>(y, x, g.size);
      }
    } else {
      softmax_cols<T, kLog><<<grid_for(g.outer * g.inner), kThreads, 0, s>>>(y, x, g.outer, g.size, g.inner);
    }
  });
  check_launch(op);
}

template <bool kLog>
void softmax_backward_any(const Tensor& out, const Tensor& grad_, const Tensor& output_,
                          int64_t dim, const char* op) {
  if (out.numel() == 0) return;
  const Tensor grad = dense(grad_, op), output = dense(output_, op);
  const Around g(output.sizes(), dim);
  DeviceGuard guard(out, op);
  cudaStream_t s = stream_for(out);
  dispatch_floating(out.dtype(), op, [&](auto T_tag) {
    using T = typename decltype(T_tag)::type;
    T* gi = ptr<T>(out);
    const T* gp = ptr<T>(grad);
    const T* yp = ptr<T>(output);
    if (g.inner == 1) {
      if (g.size <= kWarpRowMax) {
        const int64_t blocks = (g.outer + kWarpRows - 1) / kWarpRows;
        KILN_CHECK(blocks <= int64_t(std::numeric_limits<int>::max()), op, ": too many rows");
        softmax_bwd_warp_rows<T, kLog><<<unsigned(blocks), dim3(32, kWarpRows), 0, s>>>(gi, gp, yp, g.outer, g.size);
      } else {
        KILN_CHECK(g.outer <= int64_t(std::numeric_limits<int>::max()), op, ": too many rows");
        softmax_bwd_block_rows<T, kLog><<<unsigned(g.outer), 512, 0, s>>>(gi, gp, yp, g.size);
      }
    } else {
      softmax_bwd_cols<T, kLog><<<grid_for(g.outer * g.inner), kThreads, 0, s>>>(gi, gp, yp, g.outer, g.size, g.inner);
    }
  });
  check_launch(op);
}

}  // namespace

void softmax(const Tensor& out, const Tensor& self, int64_t dim, std::optional<DType>) {
  softmax_any<false>(out, self, dim, "softmax");
}

void log_softmax(const Tensor& out, const Tensor& self, int64_t dim, std::optional<DType>) {
  softmax_any<true>(out, self, dim, "log_softmax");
}

void softmax_backward_data(const Tensor& out, const Tensor& grad_output, const Tensor& output,
                           int64_t dim, DType) {
  softmax_backward_any<false>(out, grad_output, output, dim, "_softmax_backward_data");
}

void log_softmax_backward_data(const Tensor& out, const Tensor& grad_output, const Tensor& output,
                               int64_t dim, DType) {
  softmax_backward_any<true>(out, grad_output, output, dim, "_log_softmax_backward_data");
}

// Row softmax of contiguous (rows, n) scores, used by attention's unfused path.
void softmax_rows(const Tensor& out, const Tensor& x, int64_t rows, int64_t n, const char* op) {
  KILN_ASSERT(out.is_contiguous() && x.is_contiguous(), op, ": softmax_rows layout");
  softmax_any<false>(out, make_view(x, {rows, n}, {n, 1}, x.storage_offset()), 1, op);
}

}  // namespace kiln::cuda
