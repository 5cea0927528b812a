// Gradient clipping (torch.nn.utils.clip_grad_norm_ / clip_grad_value_) on CUDA. The norm of
// each gradient is reduced on the device into per-block partials, all of which come back in
// one read (the one sync of the op: the clip coefficient is needed on the host, exactly as the
// CPU kernel computes it, before any gradient is scaled). Partials merge in block order, so a
// given launch geometry always gives the same norm.
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "kernels/cuda/nn_common.cuh"
#include "kernels/cuda/optim_clip.h"

namespace kiln {
// engine/core/printing.h (not an input of the nvcc rules): Python's repr of a float.
std::string python_float_repr(double x);
}  // namespace kiln

namespace kiln::cuda {

using namespace cuda_nn;  // NOLINT

namespace {

// Which accumulation a norm of order p needs.
enum NormKind : int32_t { kPow = 0, kOne, kTwo, kCount, kMax, kMin };

// Partials are few per gradient: the combine on the host stays short.
inline constexpr int64_t kMaxPartials = 256;

NormKind norm_kind(double p) {
  if (std::isinf(p)) return p > 0 ? kMax : kMin;
  if (p == 0) return kCount;
  if (p == 1) return kOne;
  if (p == 2) return kTwo;
  return kPow;
}

__host__ __device__ __forceinline__ double pick(double acc, double x, bool larger) {
  if (acc != acc || x != x) return acc != acc ? acc : x;  // NaN wins
  return (larger ? x > acc : x < acc) ? x : acc;
}

__host__ __device__ __forceinline__ double merge(NormKind k, double a, double b) {
  if (k == kMax) return pick(a, b, true);
  if (k == kMin) return pick(a, b, false);
  return a + b;
}

__host__ __device__ __forceinline__ double norm_init(NormKind k) {
  return k == kMin ? HUGE_VAL : 0.0;
}

// partial[blockIdx.x] = the block's share of the norm's accumulation of |x|.
template <typename T>
__global__ void __launch_bounds__(kThreads)
    norm_partial_kernel(const T* x, int64_t n, NormKind kind, double p, double* partial) {
  __shared__ double part[kThreads];
  double acc = norm_init(kind);
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    const double v = fabs(double(to_acc(x[i])));
    switch (kind) {
      case kMax: case kMin: acc = pick(acc, v, kind == kMax); break;
      case kCount: acc += v != 0 ? 1.0 : 0.0; break;
      case kOne: acc += v; break;
      case kTwo: acc += v * v; break;
      default: acc += pow(v, p); break;
    }
  }
  part[threadIdx.x] = acc;
  __syncthreads();
  for (int w = kThreads / 2; w > 0; w >>= 1) {
    if (int(threadIdx.x) < w) {
      part[threadIdx.x] = merge(kind, part[threadIdx.x], part[threadIdx.x + w]);
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) partial[blockIdx.x] = part[0];
}

template <typename T> __device__ __forceinline__ T from_double(double v) { return T(v); }
template <> __device__ __forceinline__ __half from_double<__half>(double v) {
  return __double2half(v);
}
template <> __device__ __forceinline__ __nv_bfloat16 from_double<__nv_bfloat16>(double v) {
  return __double2bfloat16(v);
}

// x *= c in T's compute type.
template <typename T>
__global__ void __launch_bounds__(kThreads) scale_kernel(T* x, int64_t n, acc_t<T> c) {
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    x[i] = from_acc<T>(to_acc(x[i]) * c);
  }
}

// A 0-dim gradient of another dtype than the norm: PyTorch multiplies two 0-dim tensors in
// their promoted dtype `wide` (a Dt code), then stores the product back in T.
template <typename T>
__global__ void scale_one_kernel(T* x, double c, int32_t wide) {
  double v = double(to_acc(*x)) * c;
  if (wide == int32_t(DType::kFloat32)) v = double(float(v));
  if (wide == int32_t(DType::kFloat16)) v = double(__half2float(__double2half(v)));
  if (wide == int32_t(DType::kBFloat16)) v = double(__bfloat162float(__double2bfloat16(v)));
  *x = from_double<T>(v);
}

// min(max(x, lo), hi) as torch.clamp: NaN passes through, lo > hi gives hi.
template <typename T>
__global__ void __launch_bounds__(kThreads)
    clamp_kernel(T* x, int64_t n, acc_t<T> lo, acc_t<T> hi) {
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    acc_t<T> v = to_acc(x[i]);
    v = v < lo ? lo : v;
    v = hi < v ? hi : v;
    x[i] = from_acc<T>(v);
  }
}

unsigned partial_blocks(int64_t n) {
  const unsigned g = grid_for(n);
  return g > unsigned(kMaxPartials) ? unsigned(kMaxPartials) : g;
}

// `x` rounded to dtype `d` (the value a 0-dim tensor of that dtype would hold).
double round_to(DType d, double x) {
  switch (d) {
    case DType::kFloat32: return double(float(x));
    case DType::kFloat16: return double(float(Half(x)));
    case DType::kBFloat16: return double(float(BFloat16(x)));
    default: return x;
  }
}

// PyTorch's scalar arithmetic on a 0-dim tensor of dtype `d`: operands are cast to `d`, meet
// in d's compute type (float for the half types), and the result is rounded to `d`.
template <typename F>
double in_dtype(DType d, double a, double b, F op) {
  if (d == DType::kFloat64) return op(a, b);
  const float fa = float(round_to(d, a)), fb = float(round_to(d, b));
  return round_to(d, double(op(fa, fb)));
}

// Applies fn to a contiguous version of g, then writes it back when g was strided.
template <typename F>
void on_dense(const Tensor& g, const char* op, bool write_back, F&& fn) {
  const Tensor d = dense(g, op);
  fn(d);
  if (write_back && d.raw_data() != g.raw_data()) scatter_into(g, d, op);
}

}  // namespace

void clip_grad_norm(const Tensor& total_norm, const std::vector<Tensor>& grads, double max_norm,
                    double norm_type, bool error_if_nonfinite) {
  const char* op = "clip_grad_norm_";
  const DType r = total_norm.dtype();
  const NormKind kind = norm_kind(norm_type);
  for (const Tensor& g : grads) {
    // PyTorch takes g.abs().max() here, which has no value for an empty tensor.
    KILN_CHECK(!(kind == kMax && g.numel() == 0),
               "clip_grad_norm_: max(): Expected reduction dim to be specified for "
               "input.numel() == 0. Specify the reduction dim with the 'dim' argument.");
  }
  DeviceGuard guard(total_norm, op);
  double total = 0;
  if (!grads.empty()) {
    std::vector<int64_t> first(grads.size() + 1, 0);
    for (size_t k = 0; k < grads.size(); ++k) {
      const int64_t n = grads[k].numel();
      first[k + 1] = first[k] + (n == 0 ? 0 : int64_t(partial_blocks(n)));
    }
    std::vector<double> host(size_t(first.back()));
    if (first.back() > 0) {
      const Tensor partial = empty_tensor({first.back()}, DType::kFloat64, grads[0].device());
      double* dp = ptr<double>(partial);
      for (size_t k = 0; k < grads.size(); ++k) {
        const Tensor& g = grads[k];
        const int64_t n = g.numel();
        if (n == 0) continue;
        on_dense(g, op, false, [&](const Tensor& d) {
          dispatch_floating(d.dtype(), op, [&](auto tag) {
            using T = typename decltype(tag)::type;
            norm_partial_kernel<T><<<partial_blocks(n), kThreads, 0, stream_for(d)>>>(
                ptr<T>(d), n, kind, norm_type, dp + first[k]);
            check_launch(op);
          });
        });
      }
      check_cuda(cudaMemcpyAsync(host.data(), dp, host.size() * sizeof(double),
                                 cudaMemcpyDeviceToHost, stream_for(partial)),
                 op, "reading the partial norms");
      check_cuda(cudaStreamSynchronize(stream_for(partial)), op, "synchronizing the norms");
    }
    // Per gradient in its own dtype, then the norm of those norms (torch.stack promotes).
    std::vector<double> norms;
    norms.reserve(grads.size());
    for (size_t k = 0; k < grads.size(); ++k) {
      double acc = norm_init(kind);
      for (int64_t b = first[k]; b < first[k + 1]; ++b) acc = merge(kind, acc, host[size_t(b)]);
      if (grads[k].numel() == 0) acc = 0;
      if (kind == kTwo) acc = std::sqrt(acc);
      if (kind == kPow) acc = std::pow(acc, 1.0 / norm_type);
      norms.push_back(round_to(r, round_to(grads[k].dtype(), acc)));
    }
    if (kind == kMax) {
      // torch.max(torch.stack(norms)): the largest, NaN wins.
      total = norms[0];
      for (size_t k = 1; k < norms.size() && total == total; ++k) {
        if (norms[k] > total || norms[k] != norms[k]) total = norms[k];
      }
    } else {
      double acc = norm_init(kind);
      for (double v : norms) {
        const double a = std::fabs(v);
        if (kind == kMin) acc = pick(acc, a, false);
        else if (kind == kCount) acc += a != 0 ? 1.0 : 0.0;
        else if (kind == kOne) acc += a;
        else if (kind == kTwo) acc += a * a;
        else acc += std::pow(a, norm_type);
      }
      if (kind == kTwo) acc = std::sqrt(acc);
      if (kind == kPow) acc = std::pow(acc, 1.0 / norm_type);
      total = round_to(r, acc);
    }
  }
  KILN_CHECK(!(error_if_nonfinite && !std::isfinite(total)),
             "clip_grad_norm_: The total norm of order ", python_float_repr(norm_type),
             " for gradients from `parameters` is non-finite, so it cannot be clipped. To "
             "disable this error and scale the gradients by the non-finite norm anyway, set "
             "`error_if_nonfinite=False`");
  dispatch_floating(r, op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    // The value's bytes as the device type holds them (Half/BFloat16 mirror the CUDA types).
    unsigned char buf[sizeof(double)] = {};
    if constexpr (std::is_same_v<T, double>) {
      std::memcpy(buf, &total, sizeof total);
    } else if constexpr (std::is_same_v<T, float>) {
      const float v = float(total);
      std::memcpy(buf, &v, sizeof v);
    } else if constexpr (std::is_same_v<T, __half>) {
      const uint16_t v = Half(total).x;
      std::memcpy(buf, &v, sizeof v);
    } else {
      const uint16_t v = BFloat16(total).x;
      std::memcpy(buf, &v, sizeof v);
    }
    check_cuda(cudaMemcpyAsync(total_norm.raw_data(), buf, sizeof(T), cudaMemcpyHostToDevice,
                               stream_for(total_norm)),
               op, "writing the total norm");
    // The source lives on this stack frame: wait for the copy to be done with it.
    check_cuda(cudaStreamSynchronize(stream_for(total_norm)), op, "writing the total norm");
  });
  if (grads.empty()) return;
  // clip_coef = max_norm / (total_norm + 1e-6), which Tensor.__rdiv__ computes as
  // reciprocal(total_norm + 1e-6) * max_norm, each step rounded to the norm's dtype.
  const double shifted = in_dtype(r, total, 1e-6, [](auto a, auto b) { return a + b; });
  const double recip = in_dtype(r, 1.0, shifted, [](auto a, auto b) { return a / b; });
  const double coef = in_dtype(r, recip, max_norm, [](auto a, auto b) { return a * b; });
  const double clamped = coef > 1.0 ? 1.0 : coef;  // clamp(max=1.0); NaN stays NaN
  for (const Tensor& g : grads) {
    const int64_t n = g.numel();
    if (n > 0) {
      on_dense(g, op, true, [&](const Tensor& d) {
        dispatch_floating(d.dtype(), op, [&](auto tag) {
          using T = typename decltype(tag)::type;
          if (g.dim() == 0 && g.dtype() != r) {
            scale_one_kernel<T><<<1, 1, 0, stream_for(d)>>>(
                ptr<T>(d), clamped, int32_t(promote_types(g.dtype(), r)));
          } else {
            const acc_t<T> c = acc_t<T>(round_to(g.dtype(), clamped));
            scale_kernel<T><<<grid_for(n), kThreads, 0, stream_for(d)>>>(ptr<T>(d), n, c);
          }
          check_launch(op);
        });
      });
    }
    // The generated op knows only its output; the gradients it scaled change version here.
    g.bump_version();
  }
}

void clip_grad_value(const std::vector<Tensor>& grads, double clip_value) {
  const char* op = "clip_grad_value_";
  for (const Tensor& g : grads) {
    const int64_t n = g.numel();
    if (n == 0) continue;
    DeviceGuard guard(g, op);
    on_dense(g, op, true, [&](const Tensor& d) {
      dispatch_floating(d.dtype(), op, [&](auto tag) {
        using T = typename decltype(tag)::type;
        using M = acc_t<T>;
        clamp_kernel<T><<<grid_for(n), kThreads, 0, stream_for(d)>>>(ptr<T>(d), n,
                                                                     M(-clip_value),
                                                                     M(clip_value));
        check_launch(op);
      });
    });
  }
}

}  // namespace kiln::cuda
