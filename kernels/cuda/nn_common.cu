// nn_common.cuh's out-of-line half: errors, device guard, stream, dense copies.
#include "kernels/cuda/nn_common.cuh"

#include <cstring>

#include "kernels/cuda/cuda_util.h"

namespace kiln::cuda_nn {

void throw_cuda(const char* op, cudaError_t e, const char* what) {
  // Clear the sticky-free error so the next op does not see it again.
  (void)cudaGetLastError();
  const ErrorKind kind =
      e == cudaErrorMemoryAllocation ? ErrorKind::kOutOfMemory : ErrorKind::kRuntime;
  detail::throw_error(kind, str(op, ": CUDA error in ", what, ": ", cudaGetErrorName(e), " (",
                                cudaGetErrorString(e), ")"));
}

DeviceGuard::DeviceGuard(const Tensor& t, const char* op) {
  KILN_CHECK(t.device().is_cuda(), op, ": expected a cuda tensor, got one on ", t.device());
  check_cuda(cudaGetDevice(&prev_), op, "cudaGetDevice");
  if (prev_ != t.device().index) check_cuda(cudaSetDevice(t.device().index), op, "cudaSetDevice");
}

DeviceGuard::~DeviceGuard() {
  int cur = -1;
  if (prev_ >= 0 && cudaGetDevice(&cur) == cudaSuccess && cur != prev_) (void)cudaSetDevice(prev_);
}

cudaStream_t stream_for(const Tensor& t) { return cuda::compute_stream(t.device().index); }

namespace {

inline constexpr int kMaxDims = 16;

struct Geometry {
  int dims;
  int64_t sizes[kMaxDims];
  int64_t strides[kMaxDims];
};

// dst[i] = src[offset of logical index i]; row-major logical order, 64-bit indexing.
template <typename E>
__global__ void gather_kernel(E* __restrict__ dst, const E* __restrict__ src, int64_t n,
                              Geometry g) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t rem = i, off = 0;
    for (int d = g.dims - 1; d >= 0; --d) {
      const int64_t q = rem / g.sizes[d];
      off += (rem - q * g.sizes[d]) * g.strides[d];
      rem = q;
    }
    dst[i] = src[off];
  }
}

template <typename E>
__global__ void scatter_kernel(E* __restrict__ dst, const E* __restrict__ src, int64_t n,
                               Geometry g) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t rem = i, off = 0;
    for (int d = g.dims - 1; d >= 0; --d) {
      const int64_t q = rem / g.sizes[d];
      off += (rem - q * g.sizes[d]) * g.strides[d];
      rem = q;
    }
    dst[off] = src[i];
  }
}

Geometry geometry_of(const Tensor& t, const char* op) {
  KILN_CHECK(t.dim() <= kMaxDims, op, ": tensors of more than ", kMaxDims,
             " dims are not supported on cuda");
  Geometry g{};
  g.dims = int(t.dim());
  for (int d = 0; d < g.dims; ++d) {
    g.sizes[d] = t.sizes()[size_t(d)];
    g.strides[d] = t.strides()[size_t(d)];
  }
  return g;
}

template <typename S, typename D>
__global__ void cast_kernel(D* __restrict__ dst, const S* __restrict__ src, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    dst[i] = from_acc<D>(to_acc(src[i]));
  }
}

// Half types reach double through float (exact).
template <typename S, typename D>
__global__ void cast_kernel_wide(D* __restrict__ dst, const S* __restrict__ src, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    dst[i] = from_acc<D>(acc_t<D>(double(to_acc(src[i]))));
  }
}

}  // namespace

void gather_into(const Tensor& dst, const Tensor& src, const char* op) {
  KILN_ASSERT(dst.is_contiguous() && dst.sizes() == src.sizes() && dst.dtype() == src.dtype(),
              op, ": gather_into geometry");
  const int64_t n = src.numel();
  if (n == 0) return;
  const Geometry g = geometry_of(src, op);
  DeviceGuard guard(dst, op);
  cudaStream_t s = stream_for(dst);
  switch (src.element_size()) {
    case 1: gather_kernel<<<grid_for(n), kThreads, 0, s>>>(ptr<uint8_t>(dst), ptr<uint8_t>(src), n, g); break;
    case 2: gather_kernel<<<grid_for(n), kThreads, 0, s>>>(ptr<uint16_t>(dst), ptr<uint16_t>(src), n, g); break;
    case 4: gather_kernel<<<grid_for(n), kThreads, 0, s>>>(ptr<uint32_t>(dst), ptr<uint32_t>(src), n, g); break;
    case 8: gather_kernel<<<grid_for(n), kThreads, 0, s>>>(ptr<uint64_t>(dst), ptr<uint64_t>(src), n, g); break;
    default: KILN_ASSERT(false, "element size ", src.element_size());
  }
  check_launch(op);
}

void scatter_into(const Tensor& dst, const Tensor& src, const char* op) {
  KILN_ASSERT(src.is_contiguous() && dst.sizes() == src.sizes() && dst.dtype() == src.dtype(),
              op, ": scatter_into geometry");
  const int64_t n = src.numel();
  if (n == 0) return;
  const Geometry g = geometry_of(dst, op);
  DeviceGuard guard(dst, op);
  cudaStream_t s = stream_for(dst);
  switch (src.element_size()) {
    case 1: scatter_kernel<<<grid_for(n), kThreads, 0, s>>>(ptr<uint8_t>(dst), ptr<uint8_t>(src), n, g); break;
    case 2: scatter_kernel<<<grid_for(n), kThreads, 0, s>>>(ptr<uint16_t>(dst), ptr<uint16_t>(src), n, g); break;
    case 4: scatter_kernel<<<grid_for(n), kThreads, 0, s>>>(ptr<uint32_t>(dst), ptr<uint32_t>(src), n, g); break;
    case 8: scatter_kernel<<<grid_for(n), kThreads, 0, s>>>(ptr<uint64_t>(dst), ptr<uint64_t>(src), n, g); break;
    default: KILN_ASSERT(false, "element size ", src.element_size());
  }
  check_launch(op);
}

void expand_into(const Tensor& dst, const Tensor& src, const char* op) {
  const int64_t nd = dst.dim(), ns = src.dim();
  KILN_ASSERT(ns <= nd, op, ": expand_into rank");
  Shape strides(size_t(nd), 0);
  for (int64_t d = 0; d < ns; ++d) {
    const int64_t od = nd - ns + d;
    const int64_t sz = src.sizes()[size_t(d)];
    KILN_ASSERT(sz == dst.sizes()[size_t(od)] || sz == 1, op, ": expand_into sizes");
    strides[size_t(od)] = sz == 1 ? 0 : src.strides()[size_t(d)];
  }
  gather_into(dst, make_view(src, dst.sizes(), strides, src.storage_offset()), op);
}

Tensor dense(const Tensor& t, const char* op) {
  if (!t.defined() || t.is_contiguous()) return t;
  Tensor out = empty_tensor(t.sizes(), t.dtype(), t.device());
  gather_into(out, t, op);
  return out;
}

Tensor dense_as(const Tensor& t_, DType dt, const char* op) {
  if (!t_.defined()) return t_;
  const Tensor t = dense(t_, op);
  if (t.dtype() == dt) return t;
  Tensor out = empty_tensor(t.sizes(), dt, t.device());
  const int64_t n = t.numel();
  if (n == 0) return out;
  DeviceGuard guard(t, op);
  cudaStream_t s = stream_for(t);
  dispatch_floating(t.dtype(), op, [&](auto S_tag) {
    using S = typename decltype(S_tag)::type;
    dispatch_floating(dt, op, [&](auto D_tag) {
    using D = typename decltype(D_tag)::type;
      if constexpr (std::is_same_v<D, double> || std::is_same_v<S, double>) {
        cast_kernel_wide<S, D><<<grid_for(n), kThreads, 0, s>>>(ptr<D>(out), ptr<S>(t), n);
      } else {
        cast_kernel<S, D><<<grid_for(n), kThreads, 0, s>>>(ptr<D>(out), ptr<S>(t), n);
      }
    });
  });
  check_launch(op);
  return out;
}

void zero_(const Tensor& t, const char* op) {
  if (!t.defined() || t.numel() == 0) return;
  KILN_ASSERT(t.is_contiguous(), op, ": zero_ of a strided tensor");
  DeviceGuard guard(t, op);
  check_cuda(cudaMemsetAsync(t.raw_data(), 0, t.nbytes(), stream_for(t)), op, "cudaMemsetAsync");
}

}  // namespace kiln::cuda_nn
