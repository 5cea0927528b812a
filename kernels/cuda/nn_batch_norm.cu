// Batch norm over dim 1 of (N, C, S...): one block per channel reduces its N * S values
// (mean, then the centred variance, as the CPU kernel, so tiny variances do not cancel);
// per-channel statistics live in float64 scratch; the normalization is one elementwise pass.
// Running statistics are read and written in their own dtype and strides. Backward: one
// block per channel for sum(g) and sum(g (x - mean)), then that channel's grad_input.
#include "kernels/cuda/nn_common.cuh"
#include "kernels/cuda/nn_kernels.h"

namespace kiln::cuda {

using namespace cuda_nn;  // NOLINT

namespace {

struct Geometry {
  int64_t n, c, s;  // batch, channels, spatial elements per (n, c)
  explicit Geometry(const Tensor& t) : n(t.sizes()[0]), c(t.sizes()[1]), s(1) {
    for (int64_t d = 2; d < t.dim(); ++d) s *= t.sizes()[size_t(d)];
  }
};

int threads_for(int64_t n) {
  int t = 32;
  while (t < 512 && t < n) t *= 2;
  return t;
}

template <typename T>
__global__ void bn_stats(double* __restrict__ mean, double* __restrict__ var,
                         double* __restrict__ invstd, const T* __restrict__ x, Geometry g,
                         double eps) {
  using A = acc_t<T>;
  __shared__ A scratch[32];
  const int64_t ch = blockIdx.x, count = g.n * g.s;
  // The channel's N * S values, flattened so that small S still spreads over the block.
  A sum = 0;
  for (int64_t j = threadIdx.x; j < count; j += blockDim.x) {
    sum += to_acc(x[((j / g.s) * g.c + ch) * g.s + j % g.s]);
  }
  const A mu = block_sum(sum, scratch) / A(count);
  A sq = 0;
  for (int64_t j = threadIdx.x; j < count; j += blockDim.x) {
    const A d = to_acc(x[((j / g.s) * g.c + ch) * g.s + j % g.s]) - mu;
    sq += d * d;
  }
  const A v = block_sum(sq, scratch) / A(count);
  if (threadIdx.x == 0) {
    mean[ch] = double(mu);
    var[ch] = double(v);
    invstd[ch] = double(A(1) / sqrt(v + A(eps)));
  }
}

__global__ void bn_invstd_of_var(double* __restrict__ invstd, const double* __restrict__ var,
                                 double eps, int64_t c) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < c;
       i += int64_t(gridDim.x) * blockDim.x) {
    invstd[i] = 1.0 / sqrt(var[i] + eps);
  }
}

template <typename T>
__global__ void bn_apply(T* __restrict__ y, const T* __restrict__ x, const double* __restrict__ mean,
                         const double* __restrict__ invstd, const T* __restrict__ w,
                         const T* __restrict__ b, Geometry g, int64_t total) {
  using A = acc_t<T>;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t ch = (i / g.s) % g.c;
    const A scale = A(invstd[ch]) * (w ? to_acc(w[ch]) : A(1));
    const A shift = b ? to_acc(b[ch]) : A(0);
    y[i] = from_acc<T>((to_acc(x[i]) - A(mean[ch])) * scale + shift);
  }
}

template <typename T>
__global__ void bn_save(T* __restrict__ save_mean, T* __restrict__ save_invstd,
                        const double* __restrict__ mean, const double* __restrict__ invstd,
                        int64_t c) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < c;
       i += int64_t(gridDim.x) * blockDim.x) {
    // Through the accumulation type, as the CPU kernel rounds its statistics.
    save_mean[i] = from_acc<T>(acc_t<T>(mean[i]));
    save_invstd[i] = from_acc<T>(acc_t<T>(invstd[i]));
  }
}

// running = (1 - momentum) running + momentum stat (stat scaled by `unbias` for the variance).
__global__ void bn_running(double* __restrict__ running, const double* __restrict__ stat,
                          double momentum, double unbias, int64_t c) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < c;
       i += int64_t(gridDim.x) * blockDim.x) {
    running[i] = (1 - momentum) * running[i] + momentum * stat[i] * unbias;
  }
}

template <typename T>
__global__ void bn_bwd(T* __restrict__ dx, T* __restrict__ dw, T* __restrict__ db,
                       const T* __restrict__ gy, const T* __restrict__ x,
                       const double* __restrict__ mean, const double* __restrict__ invstd,
                       const T* __restrict__ w, Geometry g, bool train) {
  using A = acc_t<T>;
  __shared__ A scratch[32];
  const int64_t ch = blockIdx.x, count = g.n * g.s;
  const A mu = A(mean[ch]), is = A(invstd[ch]);
  A s0 = 0, s1 = 0;
  for (int64_t j = threadIdx.x; j < count; j += blockDim.x) {
    const int64_t k = ((j / g.s) * g.c + ch) * g.s + j % g.s;
    const A gv = to_acc(gy[k]);
    s0 += gv;
    s1 += gv * (to_acc(x[k]) - mu);
  }
  s0 = block_sum(s0, scratch);
  s1 = block_sum(s1, scratch);
  if (threadIdx.x == 0) {
    if (dw) dw[ch] = from_acc<T>(s1 * is);
    if (db) db[ch] = from_acc<T>(s0);
  }
  if (!dx) return;
  const A k = (w ? to_acc(w[ch]) : A(1)) * is;
  const A c1 = train && count > 0 ? s0 / A(count) : A(0);
  const A c2 = train && count > 0 ? is * is * s1 / A(count) : A(0);
  for (int64_t j = threadIdx.x; j < count; j += blockDim.x) {
    const int64_t e = ((j / g.s) * g.c + ch) * g.s + j % g.s;
    dx[e] = from_acc<T>(k * (to_acc(gy[e]) - c1 - (to_acc(x[e]) - mu) * c2));
  }
}

// Blends a float64 per-channel update back into `running` (its dtype, its strides).
void write_back(const Tensor& running, const Tensor& updated, const char* op) {
  if (updated.raw_data() == running.raw_data()) return;  // updated in place already
  const Tensor cast = dense_as(updated, running.dtype(), op);
  scatter_into(running, cast, op);
}

}  // namespace

void native_batch_norm(const Tensor& out, const Tensor& save_mean, const Tensor& save_invstd,
                       const Tensor& input_, const Tensor& weight_, const Tensor& bias_,
                       const Tensor& running_mean, const Tensor& running_var, bool training,
                       double momentum, double eps) {
  static constexpr const char* kOp = "native_batch_norm";
  const Geometry g(input_);
  if (g.c == 0) return;
  KILN_CHECK(g.c <= int64_t(std::numeric_limits<int>::max()), kOp, ": too many channels for cuda");
  DeviceGuard guard(out, kOp);
  cudaStream_t s = stream_for(out);
  const Tensor input = dense(input_, kOp), weight = dense(weight_, kOp), bias = dense(bias_, kOp);
  Tensor mean = empty_tensor({g.c}, DType::kFloat64, out.device());
  Tensor var = empty_tensor({g.c}, DType::kFloat64, out.device());
  Tensor invstd = empty_tensor({g.c}, DType::kFloat64, out.device());
  const int64_t total = input.numel();
  dispatch_floating(out.dtype(), kOp, [&](auto T_tag) {
    using T = typename decltype(T_tag)::type;
    if (training) {
      bn_stats<T><<<unsigned(g.c), threads_for(g.n * g.s), 0, s>>>(
          ptr<double>(mean), ptr<double>(var), ptr<double>(invstd), ptr<T>(input), g, eps);
    } else {
      mean = dense_as(running_mean, DType::kFloat64, kOp);
      const Tensor rv = dense_as(running_var, DType::kFloat64, kOp);
      bn_invstd_of_var<<<grid_for(g.c), kThreads, 0, s>>>(ptr<double>(invstd), ptr<double>(rv),
                                                          eps, g.c);
    }
    if (total > 0) {
      bn_apply<T><<<grid_for(total), kThreads, 0, s>>>(ptr<T>(out), ptr<T>(input),
                                                       ptr<double>(mean), ptr<double>(invstd),
                                                       ptr<T>(weight), ptr<T>(bias), g, total);
    }
    if (training) {
      bn_save<T><<<grid_for(g.c), kThreads, 0, s>>>(ptr<T>(save_mean), ptr<T>(save_invstd),
                                                    ptr<double>(mean), ptr<double>(invstd), g.c);
    }
  });
  check_launch(kOp);
  if (!training) return;
  const int64_t count = g.n * g.s;
  if (running_mean.defined()) {
    const Tensor rm = dense_as(running_mean, DType::kFloat64, kOp);
    bn_running<<<grid_for(g.c), kThreads, 0, s>>>(ptr<double>(rm), ptr<double>(mean), momentum,
                                                  1.0, g.c);
    check_launch(kOp);
    write_back(running_mean, rm, kOp);
  }
  if (running_var.defined()) {
    // The running variance takes the unbiased estimate.
    const double unbias = count > 1 ? double(count) / double(count - 1) : 1.0;
    const Tensor rv = dense_as(running_var, DType::kFloat64, kOp);
    bn_running<<<grid_for(g.c), kThreads, 0, s>>>(ptr<double>(rv), ptr<double>(var), momentum,
                                                  unbias, g.c);
    check_launch(kOp);
    write_back(running_var, rv, kOp);
  }
}

void native_batch_norm_backward(const Tensor& grad_input, const Tensor& grad_weight,
                                const Tensor& grad_bias, const Tensor& grad_out_,
                                const Tensor& input_, const Tensor& weight_,
                                const Tensor& running_mean, const Tensor& running_var,
                                const Tensor& save_mean, const Tensor& save_invstd, bool train,
                                double eps) {
  static constexpr const char* kOp = "native_batch_norm_backward";
  const Geometry g(input_);
  if (train) {
    KILN_CHECK(save_mean.defined() && save_invstd.defined() && save_mean.numel() == g.c &&
                   save_invstd.numel() == g.c,
               kOp, ": save_mean and save_invstd of ", g.c,
               " elements are required in training mode");
  } else {
    KILN_CHECK(running_mean.defined() && running_var.defined(), kOp,
               ": running_mean and running_var are required in evaluation mode");
  }
  if (g.c == 0) return;
  KILN_CHECK(g.c <= int64_t(std::numeric_limits<int>::max()), kOp, ": too many channels for cuda");
  DeviceGuard guard(grad_input, kOp);
  cudaStream_t s = stream_for(grad_input);
  const Tensor input = dense(input_, kOp), go = dense(grad_out_, kOp),
               weight = dense(weight_, kOp);
  Tensor mean, invstd;
  if (train) {
    mean = dense_as(save_mean, DType::kFloat64, kOp);
    invstd = dense_as(save_invstd, DType::kFloat64, kOp);
  } else {
    mean = dense_as(running_mean, DType::kFloat64, kOp);
    const Tensor rv = dense_as(running_var, DType::kFloat64, kOp);
    invstd = empty_tensor({g.c}, DType::kFloat64, grad_input.device());
    bn_invstd_of_var<<<grid_for(g.c), kThreads, 0, s>>>(ptr<double>(invstd), ptr<double>(rv), eps,
                                                        g.c);
  }
  const bool want_w = grad_weight.defined() && grad_weight.numel() > 0;
  const bool want_b = grad_bias.defined() && grad_bias.numel() > 0;
  const bool want_x = grad_input.defined() && grad_input.numel() > 0;
  dispatch_floating(grad_input.dtype(), kOp, [&](auto T_tag) {
    using T = typename decltype(T_tag)::type;
    bn_bwd<T><<<unsigned(g.c), threads_for(g.n * g.s), 0, s>>>(
        want_x ? ptr<T>(grad_input) : nullptr, want_w ? ptr<T>(grad_weight) : nullptr,
        want_b ? ptr<T>(grad_bias) : nullptr, ptr<T>(go), ptr<T>(input), ptr<double>(mean),
        ptr<double>(invstd), ptr<T>(weight), g, train);
  });
  check_launch(kOp);
}

}  // namespace kiln::cuda
