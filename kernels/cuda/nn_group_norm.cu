// Group norm of (N, C, HxW) with C split into `group` groups: each (n, group) is one
// contiguous row of D = C / group * HxW elements, one block per row (mean, then the centred
// variance, then the write). Backward: one block per row gives each channel's sum(g x) and
// sum(g) and the row's grad_input; the per-channel parameter gradients then sum those over
// N in a fixed order (deterministic).
#include "kernels/cuda/nn_common.cuh"
#include "kernels/cuda/nn_kernels.h"

namespace kiln::cuda {

using namespace cuda_nn;  // NOLINT

namespace {

int threads_for(int64_t n) {
  int t = 32;
  while (t < 512 && t < n) t *= 2;
  return t;
}

template <typename T>
__global__ void gn_fwd(T* __restrict__ y, T* __restrict__ mean, T* __restrict__ rstd,
                       const T* __restrict__ x, const T* __restrict__ w, const T* __restrict__ b,
                       int64_t group, int64_t cpg, int64_t hw, acc_t<T> eps) {
  using A = acc_t<T>;
  __shared__ A scratch[32];
  const int64_t row = blockIdx.x, d = cpg * hw;
  const T* xr = x + row * d;
  T* yr = y + row * d;
  A s = 0;
  for (int64_t i = threadIdx.x; i < d; i += blockDim.x) s += to_acc(xr[i]);
  const A mu = block_sum(s, scratch) / A(d);
  A v = 0;
  for (int64_t i = threadIdx.x; i < d; i += blockDim.x) {
    const A t = to_acc(xr[i]) - mu;
    v += t * t;
  }
  const A rs = A(1) / sqrt(block_sum(v, scratch) / A(d) + eps);
  if (threadIdx.x == 0) {
    mean[row] = from_acc<T>(mu);
    rstd[row] = from_acc<T>(rs);
  }
  const int64_t c0 = (row % group) * cpg;
  for (int64_t i = threadIdx.x; i < d; i += blockDim.x) {
    const int64_t c = c0 + i / hw;
    // (x - mean) first: x * scale - mean * scale cancels badly when the variance is tiny.
    const A scale = rs * (w ? to_acc(w[c]) : A(1));
    const A shift = b ? to_acc(b[c]) : A(0);
    yr[i] = from_acc<T>((to_acc(xr[i]) - mu) * scale + shift);
  }
}

// Per row (n, g): ds, db per channel into (N, C) scratch, then the row's grad_input.
template <typename T>
__global__ void gn_bwd_rows(T* __restrict__ dx, acc_t<T>* __restrict__ ds,
                            acc_t<T>* __restrict__ db, const T* __restrict__ gy,
                            const T* __restrict__ x, const T* __restrict__ mean,
                            const T* __restrict__ rstd, const T* __restrict__ w, int64_t C,
                            int64_t group, int64_t cpg, int64_t hw) {
  using A = acc_t<T>;
  __shared__ A scratch[32];
  const int64_t row = blockIdx.x, n = row / group, g = row % group, d = cpg * hw;
  const A mu = to_acc(mean[row]), rs = to_acc(rstd[row]);
  A sum_gw = 0, sum_gwx = 0;
  for (int64_t k = 0; k < cpg; ++k) {
    const int64_t c = g * cpg + k, base = (n * C + c) * hw;
    A s1 = 0, s0 = 0;
    for (int64_t i = threadIdx.x; i < hw; i += blockDim.x) {
      const A gv = to_acc(gy[base + i]);
      s1 += gv * to_acc(x[base + i]);
      s0 += gv;
    }
    s1 = block_sum(s1, scratch);
    s0 = block_sum(s0, scratch);
    if (threadIdx.x == 0) {
      ds[n * C + c] = s1;
      db[n * C + c] = s0;
    }
    const A wc = w ? to_acc(w[c]) : A(1);
    sum_gw += wc * s0;
    sum_gwx += wc * s1;
  }
  const A c1 = d > 0 ? sum_gw / A(d) : A(0);
  const A c2 = d > 0 ? rs * rs * (sum_gwx - mu * sum_gw) / A(d) : A(0);
  const int64_t base = row * d;
  for (int64_t i = threadIdx.x; i < d; i += blockDim.x) {
    const int64_t c = g * cpg + i / hw;
    const A wc = w ? to_acc(w[c]) : A(1);
    dx[base + i] =
        from_acc<T>(rs * (to_acc(gy[base + i]) * wc - c1 - (to_acc(x[base + i]) - mu) * c2));
  }
}

// Per channel: dw = sum_n (ds - mean db) rstd, db = sum_n db, in n order.
template <typename T>
__global__ void gn_bwd_params(T* __restrict__ dw, T* __restrict__ dbias,
                              const acc_t<T>* __restrict__ ds, const acc_t<T>* __restrict__ db,
                              const T* __restrict__ mean, const T* __restrict__ rstd, int64_t N,
                              int64_t C, int64_t group, int64_t cpg) {
  using A = acc_t<T>;
  for (int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; c < C;
       c += int64_t(gridDim.x) * blockDim.x) {
    A sw = 0, sb = 0;
    for (int64_t n = 0; n < N; ++n) {
      const int64_t r = n * group + c / cpg;
      sw += (ds[n * C + c] - to_acc(mean[r]) * db[n * C + c]) * to_acc(rstd[r]);
      sb += db[n * C + c];
    }
    if (dw) dw[c] = from_acc<T>(sw);
    if (dbias) dbias[c] = from_acc<T>(sb);
  }
}

}  // namespace

void native_group_norm(const Tensor& out, const Tensor& mean, const Tensor& rstd,
                       const Tensor& input_, const Tensor& weight_, const Tensor& bias_, int64_t N,
                       int64_t C, int64_t HxW, int64_t group, double eps) {
  static constexpr const char* kOp = "native_group_norm";
  const int64_t rows = N * group;
  if (rows == 0) return;
  KILN_CHECK(rows <= int64_t(std::numeric_limits<int>::max()), kOp, ": too many groups for cuda");
  const int64_t cpg = C / group;
  DeviceGuard guard(out, kOp);
  cudaStream_t s = stream_for(out);
  const Tensor input = dense(input_, kOp), weight = dense(weight_, kOp), bias = dense(bias_, kOp);
  dispatch_floating(out.dtype(), kOp, [&](auto T_tag) {
    using T = typename decltype(T_tag)::type;
    gn_fwd<T><<<unsigned(rows), threads_for(cpg * HxW), 0, s>>>(
        ptr<T>(out), ptr<T>(mean), ptr<T>(rstd), ptr<T>(input), ptr<T>(weight), ptr<T>(bias),
        group, cpg, HxW, acc_t<T>(eps));
  });
  check_launch(kOp);
}

void native_group_norm_backward(const Tensor& grad_input, const Tensor& grad_weight,
                                const Tensor& grad_bias, const Tensor& grad_out_,
                                const Tensor& input_, const Tensor& mean_, const Tensor& rstd_,
                                const Tensor& weight_, int64_t N, int64_t C, int64_t HxW,
                                int64_t group) {
  static constexpr const char* kOp = "native_group_norm_backward";
  if (C == 0) return;
  const int64_t rows = N * group, cpg = C / group;
  KILN_CHECK(rows <= int64_t(std::numeric_limits<int>::max()), kOp, ": too many groups for cuda");
  DeviceGuard guard(grad_input, kOp);
  cudaStream_t s = stream_for(grad_input);
  const Tensor input = dense(input_, kOp), go = dense(grad_out_, kOp), mean = dense(mean_, kOp),
               rstd = dense(rstd_, kOp), weight = dense(weight_, kOp);
  const bool want_w = grad_weight.defined() && grad_weight.numel() > 0;
  const bool want_b = grad_bias.defined() && grad_bias.numel() > 0;
  dispatch_floating(grad_input.dtype(), kOp, [&](auto T_tag) {
    using T = typename decltype(T_tag)::type;
    using A = acc_t<T>;
    const DType acc_dt = std::is_same_v<A, double> ? DType::kFloat64 : DType::kFloat32;
    const Tensor ds = empty_tensor({N * C}, acc_dt, grad_input.device());
    const Tensor db = empty_tensor({N * C}, acc_dt, grad_input.device());
    if (rows > 0) {
      gn_bwd_rows<T><<<unsigned(rows), threads_for(HxW), 0, s>>>(
          ptr<T>(grad_input), ptr<A>(ds), ptr<A>(db), ptr<T>(go), ptr<T>(input), ptr<T>(mean),
          ptr<T>(rstd), ptr<T>(weight), C, group, cpg, HxW);
    }
    if (want_w || want_b) {
      gn_bwd_params<T><<<grid_for(C), kThreads, 0, s>>>(
          want_w ? ptr<T>(grad_weight) : nullptr, want_b ? ptr<T>(grad_bias) : nullptr,
          ptr<A>(ds), ptr<A>(db), ptr<T>(mean), ptr<T>(rstd), N, C, group, cpg);
    }
  });
  check_launch(kOp);
}

}  // namespace kiln::cuda
