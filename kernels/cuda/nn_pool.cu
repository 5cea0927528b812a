// 2-d pooling over the last two dims (planes (.., H, W) -> (.., OH, OW)): max with indices,
// average (count_include_pad, divisor_override; ceil_mode is already in the output's shape)
// and adaptive average, forward and backward. One thread per output element forward; the
// average backwards gather per input element over the windows that cover it (ascending
// window order, as the CPU kernels add, no atomics); max backward scatters with atomics into
// an accumulation buffer because its indices may point anywhere in the plane.
#include "kernels/cuda/nn_common.cuh"
#include "kernels/cuda/nn_kernels.h"

namespace kiln::cuda {

using namespace cuda_nn;  // NOLINT

namespace {

__host__ __device__ __forceinline__ int64_t lmin(int64_t a, int64_t b) { return a < b ? a : b; }
__host__ __device__ __forceinline__ int64_t lmax(int64_t a, int64_t b) { return a > b ? a : b; }

struct Window {
  int64_t kh, kw, sh, sw, ph, pw, dh, dw;
  int64_t H, W, OH, OW, planes;
};

// `in` has the input's plane sizes, `out` the output's (either direction).
Window window_of(const Tensor& in, const Tensor& out, IntList k, IntList s, IntList p,
                 IntList d) {
  Window w{};
  w.kh = k[0], w.kw = k.size() == 2 ? k[1] : k[0];
  w.sh = s.empty() ? w.kh : s[0];
  w.sw = s.empty() ? w.kw : s.size() == 2 ? s[1] : s[0];
  w.ph = p[0], w.pw = p.size() == 2 ? p[1] : p[0];
  w.dh = d.empty() ? 1 : d[0], w.dw = d.empty() ? 1 : d.size() == 2 ? d[1] : d[0];
  const int64_t n = in.dim();
  w.H = in.sizes()[size_t(n - 2)], w.W = in.sizes()[size_t(n - 1)];
  w.OH = out.sizes()[size_t(n - 2)], w.OW = out.sizes()[size_t(n - 1)];
  w.planes = w.H * w.W > 0 ? in.numel() / (w.H * w.W) : 0;
  return w;
}

template <typename T>
__global__ void max_pool_fwd(T* __restrict__ y, int64_t* __restrict__ ind, const T* __restrict__ x,
                             Window w, int64_t total) {
  using A = acc_t<T>;
  for (int64_t o = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; o < total;
       o += int64_t(gridDim.x) * blockDim.x) {
    const int64_t ox = o % w.OW, oy = (o / w.OW) % w.OH, p = o / (w.OW * w.OH);
    const T* xp = x + p * w.H * w.W;
    int64_t h0 = oy * w.sh - w.ph, w0 = ox * w.sw - w.pw;
    const int64_t h1 = lmin(h0 + (w.kh - 1) * w.dh + 1, w.H);
    const int64_t w1 = lmin(w0 + (w.kw - 1) * w.dw + 1, w.W);
    while (h0 < 0) h0 += w.dh;
    while (w0 < 0) w0 += w.dw;
    int64_t best = h0 * w.W + w0;
    A m = -dev_inf<A>();
    for (int64_t iy = h0; iy < h1; iy += w.dh) {
      for (int64_t ix = w0; ix < w1; ix += w.dw) {
        const A v = to_acc(xp[iy * w.W + ix]);
        // A NaN always takes the place (the last NaN wins, as on the CPU).
        if (v > m || v != v) {
          m = v;
          best = iy * w.W + ix;
        }
      }
    }
    y[o] = from_acc<T>(m);
    ind[o] = best;
  }
}

__global__ void find_bad_plane_index(unsigned long long* first, const int64_t* __restrict__ idx,
                                     int64_t n, int64_t plane) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    if (idx[i] < 0 || idx[i] >= plane) atomicMin(first, (unsigned long long)i);
  }
}

// acc (planes * plane) += g at each output's index; acc is zeroed first.
template <typename T, typename A>
__global__ void max_pool_bwd_scatter(A* __restrict__ acc, const T* __restrict__ g,
                                     const int64_t* __restrict__ ind, int64_t per, int64_t plane,
                                     int64_t total) {
  for (int64_t o = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; o < total;
       o += int64_t(gridDim.x) * blockDim.x) {
    atomicAdd(acc + (o / per) * plane + ind[o], to_acc(g[o]));
  }
}

template <typename T, typename A>
__global__ void cast_from_acc(T* __restrict__ dst, const A* __restrict__ src, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    dst[i] = from_acc<T>(src[i]);
  }
}

// The window of output (oy, ox) clipped to the image, and its divisor.
struct AvgCell {
  int64_t h0, h1, w0, w1, div;
};

__device__ AvgCell avg_cell(const Window& w, int64_t oy, int64_t ox, bool include_pad,
                            int64_t divisor) {
  AvgCell c;
  c.h0 = oy * w.sh - w.ph, c.w0 = ox * w.sw - w.pw;
  c.h1 = lmin(c.h0 + w.kh, w.H + w.ph), c.w1 = lmin(c.w0 + w.kw, w.W + w.pw);
  const int64_t padded = (c.h1 - c.h0) * (c.w1 - c.w0);
  c.h0 = lmax(c.h0, 0), c.w0 = lmax(c.w0, 0);
  c.h1 = lmin(c.h1, w.H), c.w1 = lmin(c.w1, w.W);
  c.div = divisor > 0 ? divisor : include_pad ? padded : (c.h1 - c.h0) * (c.w1 - c.w0);
  return c;
}

template <typename T>
__global__ void avg_pool_fwd(T* __restrict__ y, const T* __restrict__ x, Window w,
                             bool include_pad, int64_t divisor, int64_t total) {
  using A = acc_t<T>;
  for (int64_t o = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; o < total;
       o += int64_t(gridDim.x) * blockDim.x) {
    const int64_t ox = o % w.OW, oy = (o / w.OW) % w.OH, p = o / (w.OW * w.OH);
    const T* xp = x + p * w.H * w.W;
    const AvgCell c = avg_cell(w, oy, ox, include_pad, divisor);
    A s = 0;
    for (int64_t iy = c.h0; iy < c.h1; ++iy) {
      for (int64_t ix = c.w0; ix < c.w1; ++ix) s += to_acc(xp[iy * w.W + ix]);
    }
    const bool empty = c.h0 >= c.h1 || c.w0 >= c.w1;
    y[o] = from_acc<T>(empty ? A(0) : s / A(c.div));
  }
}

// First and one-past-last window start index covering position i (stride s, pad p, size k).
__device__ __forceinline__ void covering(int64_t i, int64_t s, int64_t p, int64_t k, int64_t n,
                                         int64_t* lo, int64_t* hi) {
  const int64_t a = i + p - k + 1;  // the window must start at or after a
  *lo = a <= 0 ? 0 : (a + s - 1) / s;
  *hi = lmin((i + p) / s + 1, n);
}

template <typename T>
__global__ void avg_pool_bwd(T* __restrict__ gx, const T* __restrict__ gy, Window w,
                             bool include_pad, int64_t divisor, int64_t total) {
  using A = acc_t<T>;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t ix = i % w.W, iy = (i / w.W) % w.H, p = i / (w.W * w.H);
    const T* gp = gy + p * w.OH * w.OW;
    int64_t oy0, oy1, ox0, ox1;
    covering(iy, w.sh, w.ph, w.kh, w.OH, &oy0, &oy1);
    covering(ix, w.sw, w.pw, w.kw, w.OW, &ox0, &ox1);
    A s = 0;
    for (int64_t oy = oy0; oy < oy1; ++oy) {
      for (int64_t ox = ox0; ox < ox1; ++ox) {
        const AvgCell c = avg_cell(w, oy, ox, include_pad, divisor);
        if (iy < c.h0 || iy >= c.h1 || ix < c.w0 || ix >= c.w1) continue;
        s += to_acc(gp[oy * w.OW + ox]) / A(c.div);
      }
    }
    gx[i] = from_acc<T>(s);
  }
}

__device__ __forceinline__ int64_t start_of(int64_t i, int64_t out, int64_t in) {
  return i * in / out;
}
__device__ __forceinline__ int64_t end_of(int64_t i, int64_t out, int64_t in) {
  return ((i + 1) * in + out - 1) / out;
}

template <typename T>
__global__ void adaptive_avg_fwd(T* __restrict__ y, const T* __restrict__ x, Window w,
                                 int64_t total) {
  using A = acc_t<T>;
  for (int64_t o = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; o < total;
       o += int64_t(gridDim.x) * blockDim.x) {
    const int64_t ox = o % w.OW, oy = (o / w.OW) % w.OH, p = o / (w.OW * w.OH);
    const T* xp = x + p * w.H * w.W;
    const int64_t h0 = start_of(oy, w.OH, w.H), h1 = end_of(oy, w.OH, w.H);
    const int64_t w0 = start_of(ox, w.OW, w.W), w1 = end_of(ox, w.OW, w.W);
    A s = 0;
    for (int64_t iy = h0; iy < h1; ++iy) {
      for (int64_t ix = w0; ix < w1; ++ix) s += to_acc(xp[iy * w.W + ix]);
    }
    y[o] = from_acc<T>(s / A((h1 - h0) * (w1 - w0)));
  }
}

template <typename T>
__global__ void adaptive_avg_bwd(T* __restrict__ gx, const T* __restrict__ gy, Window w,
                                 int64_t total) {
  using A = acc_t<T>;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t ix = i % w.W, iy = (i / w.W) % w.H, p = i / (w.W * w.H);
    const T* gp = gy + p * w.OH * w.OW;
    A s = 0;
    // The first window holding iy is floor(iy * OH / H); later ones follow while they start
    // at or before iy.
    for (int64_t oy = iy * w.OH / w.H; oy < w.OH && start_of(oy, w.OH, w.H) <= iy; ++oy) {
      const int64_t h0 = start_of(oy, w.OH, w.H), h1 = end_of(oy, w.OH, w.H);
      if (iy >= h1) continue;
      for (int64_t ox = ix * w.OW / w.W; ox < w.OW && start_of(ox, w.OW, w.W) <= ix; ++ox) {
        const int64_t w0 = start_of(ox, w.OW, w.W), w1 = end_of(ox, w.OW, w.W);
        if (ix >= w1) continue;
        s += to_acc(gp[oy * w.OW + ox]) / A((h1 - h0) * (w1 - w0));
      }
    }
    gx[i] = from_acc<T>(s);
  }
}

int64_t divisor_of(std::optional<int64_t> d) { return d ? *d : 0; }

}  // namespace

void max_pool2d_with_indices(const Tensor& values, const Tensor& indices, const Tensor& self_,
                             IntList kernel_size, IntList stride, IntList padding,
                             IntList dilation, bool) {
  static constexpr const char* kOp = "max_pool2d_with_indices";
  const int64_t total = values.numel();
  if (total == 0) return;
  DeviceGuard guard(values, kOp);
  cudaStream_t s = stream_for(values);
  const Tensor self = dense(self_, kOp);
  const Window w = window_of(self, values, kernel_size, stride, padding, dilation);
  dispatch_floating(values.dtype(), kOp, [&](auto T_tag) {
    using T = typename decltype(T_tag)::type;
    max_pool_fwd<T><<<grid_for(total), kThreads, 0, s>>>(ptr<T>(values), ptr<int64_t>(indices),
                                                         ptr<T>(self), w, total);
  });
  check_launch(kOp);
}

void max_pool2d_with_indices_backward(const Tensor& out, const Tensor& grad_output_,
                                      const Tensor& self, IntList kernel_size, IntList stride,
                                      IntList padding, IntList dilation, bool,
                                      const Tensor& indices_) {
  static constexpr const char* kOp = "max_pool2d_with_indices_backward";
  if (out.numel() == 0) return;
  DeviceGuard guard(out, kOp);
  cudaStream_t s = stream_for(out);
  const Tensor g = dense(grad_output_, kOp), idx = dense(indices_, kOp);
  const Window w = window_of(self, g, kernel_size, stride, padding, dilation);
  const int64_t plane = w.H * w.W, per = w.OH * w.OW, total = idx.numel();
  // Every index checked before anything is written (one value read back when one is bad).
  if (total > 0) {
    Tensor flag = empty_tensor({1}, DType::kInt64, out.device());
    check_cuda(cudaMemsetAsync(flag.raw_data(), 0xff, 8, s), kOp, "cudaMemsetAsync");
    find_bad_plane_index<<<grid_for(total), kThreads, 0, s>>>(ptr<unsigned long long>(flag),
                                                              ptr<int64_t>(idx), total, plane);
    check_launch(kOp);
    unsigned long long first = 0;
    check_cuda(cudaMemcpyAsync(&first, flag.raw_data(), 8, cudaMemcpyDeviceToHost, s), kOp,
               "cudaMemcpyAsync");
    check_cuda(cudaStreamSynchronize(s), kOp, "cudaStreamSynchronize");
    if (first != ~0ull) {
      int64_t bad = 0;
      check_cuda(cudaMemcpyAsync(&bad, ptr<int64_t>(idx) + first, 8, cudaMemcpyDeviceToHost, s),
                 kOp, "cudaMemcpyAsync");
      check_cuda(cudaStreamSynchronize(s), kOp, "cudaStreamSynchronize");
      KILN_CHECK_INDEX(false, kOp, ": index ", bad, " is out of bounds for a plane of ", plane,
                       " elements");
    }
  }
  dispatch_floating(out.dtype(), kOp, [&](auto T_tag) {
    using T = typename decltype(T_tag)::type;
    using A = acc_t<T>;
    const bool direct = std::is_same_v<T, A>;
    const Tensor acc = direct ? out
                              : empty_tensor(out.sizes(), std::is_same_v<A, double>
                                                              ? DType::kFloat64
                                                              : DType::kFloat32,
                                             out.device());
    zero_(acc, kOp);
    if (total > 0) {
      max_pool_bwd_scatter<T, A><<<grid_for(total), kThreads, 0, s>>>(
          ptr<A>(acc), ptr<T>(g), ptr<int64_t>(idx), per, plane, total);
    }
    if (!direct) {
      cast_from_acc<T, A><<<grid_for(out.numel()), kThreads, 0, s>>>(ptr<T>(out), ptr<A>(acc),
                                                                     out.numel());
    }
  });
  check_launch(kOp);
}

void avg_pool2d(const Tensor& out, const Tensor& self_, IntList kernel_size, IntList stride,
                IntList padding, bool, bool count_include_pad,
                std::optional<int64_t> divisor_override) {
  static constexpr const char* kOp = "avg_pool2d";
  const int64_t total = out.numel();
  if (total == 0) return;
  DeviceGuard guard(out, kOp);
  cudaStream_t s = stream_for(out);
  const Tensor self = dense(self_, kOp);
  const Window w = window_of(self, out, kernel_size, stride, padding, {});
  dispatch_floating(out.dtype(), kOp, [&](auto T_tag) {
    using T = typename decltype(T_tag)::type;
    avg_pool_fwd<T><<<grid_for(total), kThreads, 0, s>>>(ptr<T>(out), ptr<T>(self), w,
                                                         count_include_pad,
                                                         divisor_of(divisor_override), total);
  });
  check_launch(kOp);
}

void avg_pool2d_backward(const Tensor& out, const Tensor& grad_output_, const Tensor& self,
                         IntList kernel_size, IntList stride, IntList padding, bool,
                         bool count_include_pad, std::optional<int64_t> divisor_override) {
  static constexpr const char* kOp = "avg_pool2d_backward";
  const int64_t total = out.numel();
  if (total == 0) return;
  DeviceGuard guard(out, kOp);
  cudaStream_t s = stream_for(out);
  const Tensor g = dense(grad_output_, kOp);
  if (g.numel() == 0) {
    zero_(out, kOp);
    return;
  }
  const Window w = window_of(self, g, kernel_size, stride, padding, {});
  dispatch_floating(out.dtype(), kOp, [&](auto T_tag) {
    using T = typename decltype(T_tag)::type;
    avg_pool_bwd<T><<<grid_for(total), kThreads, 0, s>>>(ptr<T>(out), ptr<T>(g), w,
                                                         count_include_pad,
                                                         divisor_of(divisor_override), total);
  });
  check_launch(kOp);
}

void adaptive_avg_pool2d(const Tensor& out, const Tensor& self_, IntList) {
  static constexpr const char* kOp = "adaptive_avg_pool2d";
  const int64_t total = out.numel();
  if (total == 0) return;
  DeviceGuard guard(out, kOp);
  cudaStream_t s = stream_for(out);
  const Tensor self = dense(self_, kOp);
  const Window w = window_of(self, out, {1}, {}, {0}, {});
  dispatch_floating(out.dtype(), kOp, [&](auto T_tag) {
    using T = typename decltype(T_tag)::type;
    adaptive_avg_fwd<T><<<grid_for(total), kThreads, 0, s>>>(ptr<T>(out), ptr<T>(self), w, total);
  });
  check_launch(kOp);
}

void adaptive_avg_pool2d_backward(const Tensor& out, const Tensor& grad_output_, const Tensor&) {
  static constexpr const char* kOp = "adaptive_avg_pool2d_backward";
  const int64_t total = out.numel();
  if (total == 0) return;
  DeviceGuard guard(out, kOp);
  cudaStream_t s = stream_for(out);
  const Tensor g = dense(grad_output_, kOp);
  if (g.numel() == 0) {
    zero_(out, kOp);
    return;
  }
  const Window w = window_of(out, g, {1}, {}, {0}, {});
  dispatch_floating(out.dtype(), kOp, [&](auto T_tag) {
    using T = typename decltype(T_tag)::type;
    adaptive_avg_bwd<T><<<grid_for(total), kThreads, 0, s>>>(ptr<T>(out), ptr<T>(g), w, total);
  });
  check_launch(kOp);
}

}  // namespace kiln::cuda
