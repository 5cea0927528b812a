// Layer norm over rows (M, N): one block per row, mean then centred variance (two passes over
// the row, the second from cache), then the write. Backward: grad_input per row (one block),
// grad_weight / grad_bias as column sums over rows in a fixed order (deterministic).
#include "kernels/cuda/nn_common.cuh"
#include "kernels/cuda/nn_kernels.h"

namespace kiln::cuda {

using namespace cuda_nn;  // NOLINT

namespace {

int threads_for_row(int64_t n) {
  int t = 32;
  while (t < 512 && t < n) t *= 2;
  return t;
}

template <typename T>
__global__ void layer_norm_fwd(T* __restrict__ y, T* __restrict__ mean, T* __restrict__ rstd,
                               const T* __restrict__ x, const T* __restrict__ w,
                               const T* __restrict__ b, int64_t n, acc_t<T> eps) {
  using A = acc_t<T>;
  __shared__ A scratch[32];
  const int64_t row = blockIdx.x;
  const T* xr = x + row * n;
  T* yr = y + row * n;
  A s = 0;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) s += to_acc(xr[i]);
  const A mu = block_sum(s, scratch) / A(n);
  A v = 0;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
    const A d = to_acc(xr[i]) - mu;
    v += d * d;
  }
  const A var = block_sum(v, scratch) / A(n);
  const A rs = A(1) / sqrt(var + eps);
  if (threadIdx.x == 0) {
    mean[row] = from_acc<T>(mu);
    rstd[row] = from_acc<T>(rs);
  }
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
    A o = (to_acc(xr[i]) - mu) * rs;
    if (w) o = o * to_acc(w[i]);
    if (b) o = o + to_acc(b[i]);
    yr[i] = from_acc<T>(o);
  }
}

// dx = rstd (g w - (sum(g w) + xhat sum(g w xhat)) / N), xhat = (x - mean) rstd.
template <typename T>
__global__ void layer_norm_bwd_input(T* __restrict__ dx, const T* __restrict__ g,
                                     const T* __restrict__ x, const T* __restrict__ mean,
                                     const T* __restrict__ rstd, const T* __restrict__ w,
                                     int64_t n) {
  using A = acc_t<T>;
  __shared__ A scratch[32];
  const int64_t row = blockIdx.x;
  const T* gr = g + row * n;
  const T* xr = x + row * n;
  const A mu = to_acc(mean[row]), rs = to_acc(rstd[row]);
  A sg = 0, sgx = 0;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
    const A gw = w ? to_acc(gr[i]) * to_acc(w[i]) : to_acc(gr[i]);
    sg += gw;
    sgx += gw * (to_acc(xr[i]) - mu);
  }
  sg = block_sum(sg, scratch);
  sgx = block_sum(sgx, scratch);
  const A c1 = sg / A(n), c2 = rs * rs * sgx / A(n);
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
    const A gw = w ? to_acc(gr[i]) * to_acc(w[i]) : to_acc(gr[i]);
    dx[row * n + i] = from_acc<T>(rs * (gw - c1 - (to_acc(xr[i]) - mu) * c2));
  }
}

// Column sums over m rows: dw = sum g xhat, db = sum g. Block (32, 16) covers 32 columns.
template <typename T>
__global__ void layer_norm_bwd_params(T* __restrict__ dw, T* __restrict__ db,
                                      const T* __restrict__ g, const T* __restrict__ x,
                                      const T* __restrict__ mean, const T* __restrict__ rstd,
                                      int64_t m, int64_t n) {
  using A = acc_t<T>;
  __shared__ A sw[16][33], sb[16][33];
  const int64_t col = int64_t(blockIdx.x) * 32 + threadIdx.x;
  A aw = 0, ab = 0;
  if (col < n) {
    for (int64_t r = threadIdx.y; r < m; r += 16) {
      const A gv = to_acc(g[r * n + col]);
      aw += gv * (to_acc(x[r * n + col]) - to_acc(mean[r])) * to_acc(rstd[r]);
      ab += gv;
    }
  }
  sw[threadIdx.y][threadIdx.x] = aw;
  sb[threadIdx.y][threadIdx.x] = ab;
  __syncthreads();
  if (threadIdx.y == 0 && col < n) {
    A tw = 0, tb = 0;
    for (int k = 0; k < 16; ++k) {
      tw += sw[k][threadIdx.x];
      tb += sb[k][threadIdx.x];
    }
    if (dw) dw[col] = from_acc<T>(tw);
    if (db) db[col] = from_acc<T>(tb);
  }
}

template <typename T>
__global__ void fill_nan(T* __restrict__ p, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    p[i] = from_acc<T>(acc_t<T>(nan("")));
  }
}

}  // namespace

void native_layer_norm(const Tensor& out, const Tensor& mean, const Tensor& rstd,
                       const Tensor& input_, IntList normalized_shape, const Tensor& weight_,
                       const Tensor& bias_, double eps) {
  static constexpr const char* kOp = "native_layer_norm";
  const int64_t n = numel_of(normalized_shape);
  const int64_t m = n == 0 ? 0 : input_.numel() / n;
  DeviceGuard guard(out, kOp);
  cudaStream_t s = stream_for(out);
  if (input_.numel() == 0) {
    // Rows of no elements: PyTorch's mean and rstd are 0/0.
    if (mean.numel() > 0) {
      dispatch_floating(mean.dtype(), kOp, [&](auto T_tag) {
    using T = typename decltype(T_tag)::type;
        fill_nan<T><<<grid_for(mean.numel()), kThreads, 0, s>>>(ptr<T>(mean), mean.numel());
        fill_nan<T><<<grid_for(rstd.numel()), kThreads, 0, s>>>(ptr<T>(rstd), rstd.numel());
      });
      check_launch(kOp);
    }
    return;
  }
  KILN_CHECK(m <= int64_t(std::numeric_limits<int>::max()), kOp, ": too many rows for cuda");
  const Tensor input = dense(input_, kOp), weight = dense(weight_, kOp), bias = dense(bias_, kOp);
  dispatch_floating(out.dtype(), kOp, [&](auto T_tag) {
    using T = typename decltype(T_tag)::type;
    layer_norm_fwd<T><<<unsigned(m), threads_for_row(n), 0, s>>>(
        ptr<T>(out), ptr<T>(mean), ptr<T>(rstd), ptr<T>(input), ptr<T>(weight), ptr<T>(bias), n,
        acc_t<T>(eps));
  });
  check_launch(kOp);
}

void native_layer_norm_backward(const Tensor& grad_input, const Tensor& grad_weight,
                                const Tensor& grad_bias, const Tensor& grad_out_,
                                const Tensor& input_, IntList normalized_shape,
                                const Tensor& mean_, const Tensor& rstd_, const Tensor& weight_,
                                const Tensor&) {
  static constexpr const char* kOp = "native_layer_norm_backward";
  const int64_t n = numel_of(normalized_shape);
  const int64_t m = n == 0 ? 0 : input_.numel() / n;
  const bool want_w = grad_weight.numel() > 0, want_b = grad_bias.numel() > 0;
  DeviceGuard guard(grad_input, kOp);
  if (m == 0) {
    // No rows: the parameter gradients are sums of nothing.
    zero_(grad_weight, kOp);
    zero_(grad_bias, kOp);
    return;
  }
  KILN_CHECK(m <= int64_t(std::numeric_limits<int>::max()), kOp, ": too many rows for cuda");
  cudaStream_t s = stream_for(grad_input);
  const Tensor g = dense(grad_out_, kOp), input = dense(input_, kOp), mean = dense(mean_, kOp),
               rstd = dense(rstd_, kOp), weight = dense(weight_, kOp);
  dispatch_floating(grad_input.dtype(), kOp, [&](auto T_tag) {
    using T = typename decltype(T_tag)::type;
    layer_norm_bwd_input<T><<<unsigned(m), threads_for_row(n), 0, s>>>(
        ptr<T>(grad_input), ptr<T>(g), ptr<T>(input), ptr<T>(mean), ptr<T>(rstd), ptr<T>(weight),
        n);
    if (want_w || want_b) {
      const int64_t tiles = (n + 31) / 32;
      KILN_CHECK(tiles <= int64_t(std::numeric_limits<int>::max()), kOp, ": too many columns");
      layer_norm_bwd_params<T><<<unsigned(tiles), dim3(32, 16), 0, s>>>(
          want_w ? ptr<T>(grad_weight) : nullptr, want_b ? ptr<T>(grad_bias) : nullptr, ptr<T>(g),
          ptr<T>(input), ptr<T>(mean), ptr<T>(rstd), m, n);
    }
  });
  check_launch(kOp);
}

}  // namespace kiln::cuda
