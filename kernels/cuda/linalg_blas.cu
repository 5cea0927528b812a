// cuBLAS GEMMs for the matrix products. Row-major C = A B is computed as the column-major
// C^T = B^T A^T, so a row-major operand (unit column stride) is cuBLAS's "N" and a
// column-major one (unit row stride) its "T"; anything else is copied dense first.
#include "kernels/cuda/linalg_blas.h"

#include <cublas_v2.h>

#include <algorithm>
#include <atomic>
#include <map>

#include "kernels/cuda/linalg_ops.h"
#include "kernels/cuda/nn_common.cuh"

namespace kiln::cuda_nn {

namespace {

std::atomic<bool> g_allow_tf32{false};

const char* cublas_name(cublasStatus_t s) {
  switch (s) {
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_MAPPING_ERROR: return "CUBLAS_STATUS_MAPPING_ERROR";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_INTERNAL_ERROR: return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
    default: return "cuBLAS error";
  }
}

void check_cublas(cublasStatus_t s, const char* op, const char* what) {
  if (s == CUBLAS_STATUS_SUCCESS) return;
  const ErrorKind kind =
      s == CUBLAS_STATUS_ALLOC_FAILED ? ErrorKind::kOutOfMemory : ErrorKind::kRuntime;
  detail::throw_error(kind, str(op, ": ", what, " failed: ", cublas_name(s)));
}

// One handle per (thread, device): handles are not thread-safe, creating one is slow.
cublasHandle_t handle_for(int device, const char* op) {
  thread_local std::map<int, cublasHandle_t> handles;
  auto it = handles.find(device);
  if (it != handles.end()) return it->second;
  cublasHandle_t h = nullptr;
  check_cublas(cublasCreate(&h), op, "cublasCreate");
  handles.emplace(device, h);
  return h;
}

// cuBLAS's view of an operand: op, leading dimension, batch stride.
struct BlasOperand {
  Tensor keep;
  const void* data = nullptr;
  cublasOperation_t op = CUBLAS_OP_N;
  int64_t ld = 1;
  int64_t batch_stride = 0;
};

// `m` (rows r, cols c) as the column-major operand of C^T = B^T A^T: row-major -> N (ld =
// row stride), column-major -> T (ld = col stride).
BlasOperand blas_operand(const MatView& m_, const char* op) {
  MatView m = m_;
  const int64_t r = m.rows, c = m.cols;
  auto fits_n = [&] {
    return (c == 1 || m.col_stride == 1) && (r == 1 || m.row_stride >= std::max<int64_t>(1, c));
  };
  auto fits_t = [&] {
    return (r == 1 || m.row_stride == 1) && (c == 1 || m.col_stride >= std::max<int64_t>(1, r));
  };
  BlasOperand o;
  if (!fits_n() && !fits_t()) {
    // Dense (batch, r, c) copy: row-major.
    Tensor view = make_view(m.t, {m.batch, r, c}, {m.batch_stride, m.row_stride, m.col_stride},
                            m.t.storage_offset());
    Tensor d = empty_tensor({m.batch, r, c}, m.t.dtype(), m.t.device());
    gather_into(d, view, op);
    m.t = d;
    m.batch_stride = m.batch == 1 ? 0 : r * c;
    m.row_stride = c;
    m.col_stride = 1;
  }
  o.keep = m.t;
  o.data = m.t.raw_data();
  o.batch_stride = m.batch == 1 ? 0 : m.batch_stride;
  if (fits_n()) {
    o.op = CUBLAS_OP_N;
    o.ld = r == 1 ? std::max<int64_t>(1, c) : m.row_stride;
  } else {
    o.op = CUBLAS_OP_T;
    o.ld = c == 1 ? std::max<int64_t>(1, r) : m.col_stride;
  }
  return o;
}

cudaDataType data_type(DType t) {
  switch (t) {
    case DType::kFloat32: return CUDA_R_32F;
    case DType::kFloat64: return CUDA_R_64F;
    case DType::kFloat16: return CUDA_R_16F;
    case DType::kBFloat16: return CUDA_R_16BF;
    default: break;
  }
  KILN_ASSERT(false, "cuBLAS data type of ", t);
  return CUDA_R_32F;
}

void check_int(int64_t v, const char* op, const char* what) {
  KILN_CHECK(v <= int64_t(std::numeric_limits<int>::max()), op, ": ", what, " ", v,
             " is too large for cuBLAS (at most 2^31 - 1)");
}

template <typename A>
__global__ void scale_kernel(A* __restrict__ c, int64_t n, A beta) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    c[i] = beta * c[i];
  }
}

template <typename T>
__global__ void scale_half_kernel(T* __restrict__ c, int64_t n, float beta) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    c[i] = from_acc<T>(beta * to_acc(c[i]));
  }
}

}  // namespace

void set_allow_tf32(bool allow) { g_allow_tf32.store(allow, std::memory_order_relaxed); }
bool allow_tf32() { return g_allow_tf32.load(std::memory_order_relaxed); }

MatView mat2d(const Tensor& t) {
  MatView m;
  m.t = t;
  m.rows = t.sizes()[0];
  m.cols = t.sizes()[1];
  m.row_stride = t.strides()[0];
  m.col_stride = t.strides()[1];
  return m;
}

MatView mat3d(const Tensor& t) {
  MatView m;
  m.t = t;
  m.batch = t.sizes()[0];
  m.rows = t.sizes()[1];
  m.cols = t.sizes()[2];
  m.batch_stride = t.strides()[0];
  m.row_stride = t.strides()[1];
  m.col_stride = t.strides()[2];
  return m;
}

MatView transposed(const MatView& m) {
  MatView o = m;
  std::swap(o.rows, o.cols);
  std::swap(o.row_stride, o.col_stride);
  return o;
}

MatView as_column(const Tensor& v) {
  MatView m;
  m.t = v;
  m.rows = v.sizes()[0];
  m.cols = 1;
  m.row_stride = v.strides()[0];
  m.col_stride = 1;
  return m;
}

MatView as_row(const Tensor& v) { return transposed(as_column(v)); }

void gemm(const char* op, const Tensor& c, const MatView& a, const MatView& b, double alpha,
          double beta) {
  KILN_ASSERT(c.is_contiguous(), op, ": gemm output must be contiguous");
  const int64_t batch = std::max(a.batch, b.batch);
  const int64_t M = a.rows, K = a.cols, N = b.cols;
  KILN_ASSERT(b.rows == K && (a.batch == batch || a.batch == 1) &&
                  (b.batch == batch || b.batch == 1),
              op, ": gemm operand shapes");
  if (batch == 0 || M == 0 || N == 0) return;
  DeviceGuard guard(c, op);
  cudaStream_t stream = stream_for(c);
  if (K == 0) {
    // An empty sum: C = beta C (beta == 0 writes zeros even over NaN).
    const int64_t n = c.numel();
    if (beta == 0) {
      zero_(c, op);
    } else if (beta != 1) {
      dispatch_floating(c.dtype(), op, [&](auto T_tag) {
    using T = typename decltype(T_tag)::type;
        if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
          scale_kernel<T><<<grid_for(n), kThreads, 0, stream>>>(ptr<T>(c), n, T(beta));
        } else {
          scale_half_kernel<T><<<grid_for(n), kThreads, 0, stream>>>(ptr<T>(c), n, float(beta));
        }
      });
      check_launch(op);
    }
    return;
  }
  check_int(M, op, "matrix size");
  check_int(N, op, "matrix size");
  check_int(K, op, "matrix size");
  check_int(batch, op, "batch size");
  // Swapped: cuBLAS's A is our b, its B our a.
  const BlasOperand ob = blas_operand(b, op);
  const BlasOperand oa = blas_operand(a, op);
  check_int(ob.ld, op, "leading dimension");
  check_int(oa.ld, op, "leading dimension");
  cublasHandle_t h = handle_for(c.device().index, op);
  check_cublas(cublasSetStream(h, stream), op, "cublasSetStream");
  const DType dt = c.dtype();
  const cudaDataType type = data_type(dt);
  cublasComputeType_t compute;
  const float alpha_f = float(alpha), beta_f = float(beta);
  const void* alpha_p = &alpha_f;
  const void* beta_p = &beta_f;
  if (dt == DType::kFloat64) {
    compute = CUBLAS_COMPUTE_64F;
    alpha_p = &alpha;
    beta_p = &beta;
  } else if (dt == DType::kFloat32) {
    compute = allow_tf32() ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  } else {
    // float16/bfloat16 inputs, float32 accumulation and scalars.
    compute = CUBLAS_COMPUTE_32F;
  }
  const int ldc = int(std::max<int64_t>(1, N));
  if (batch == 1) {
    check_cublas(cublasGemmEx(h, ob.op, oa.op, int(N), int(M), int(K), alpha_p, ob.data, type,
                              int(ob.ld), oa.data, type, int(oa.ld), beta_p, c.raw_data(), type,
                              ldc, compute, CUBLAS_GEMM_DEFAULT),
                 op, "cublasGemmEx");
  } else {
    check_cublas(cublasGemmStridedBatchedEx(h, ob.op, oa.op, int(N), int(M), int(K), alpha_p,
                                            ob.data, type, int(ob.ld), ob.batch_stride, oa.data,
                                            type, int(oa.ld), oa.batch_stride, beta_p,
                                            c.raw_data(), type, ldc, M * N, int(batch), compute,
                                            CUBLAS_GEMM_DEFAULT),
                 op, "cublasGemmStridedBatchedEx");
  }
}

}  // namespace kiln::cuda_nn

namespace kiln::cuda {

using cuda_nn::gemm;
using cuda_nn::MatView;

namespace {

// Where the product goes: result itself when contiguous and not sharing memory with an input
// (in-place addmm_, out= aliasing), else a fresh tensor scattered into result at the end.
Tensor target(const Tensor& result, std::initializer_list<const Tensor*> inputs) {
  bool direct = result.is_contiguous();
  for (const Tensor* t : inputs) direct = direct && t->storage() != result.storage();
  return direct ? result : empty_tensor(result.sizes(), result.dtype(), result.device());
}

void finish(const Tensor& result, const Tensor& c, const char* op) {
  if (!c.is_same(result)) cuda_nn::scatter_into(result, c, op);
}

// c (as the 3-d (batch, M, N) the product fills) = beta self + alpha a b.
void add_product(const char* op, const Tensor& result, const Tensor& self, const MatView& a,
                 const MatView& b, const Scalar& beta_s, const Scalar& alpha_s,
                 std::initializer_list<const Tensor*> inputs) {
  if (result.numel() == 0) return;
  const Tensor c = target(result, inputs);
  const double beta = beta_s.to<double>(), alpha = alpha_s.to<double>();
  if (beta != 0) cuda_nn::expand_into(c, self, op);
  gemm(op, c, a, b, alpha, beta);
  finish(result, c, op);
}

}  // namespace

void mm(const Tensor& result, const Tensor& self, const Tensor& mat2) {
  add_product("mm", result, self, cuda_nn::mat2d(self), cuda_nn::mat2d(mat2), 0, 1,
              {&self, &mat2});
}

void bmm(const Tensor& result, const Tensor& self, const Tensor& mat2) {
  add_product("bmm", result, self, cuda_nn::mat3d(self), cuda_nn::mat3d(mat2), 0, 1,
              {&self, &mat2});
}

void addmm(const Tensor& result, const Tensor& self, const Tensor& mat1, const Tensor& mat2,
           const Scalar& beta, const Scalar& alpha) {
  add_product("addmm", result, self, cuda_nn::mat2d(mat1), cuda_nn::mat2d(mat2), beta, alpha,
              {&self, &mat1, &mat2});
}

void baddbmm(const Tensor& result, const Tensor& self, const Tensor& batch1, const Tensor& batch2,
             const Scalar& beta, const Scalar& alpha) {
  add_product("baddbmm", result, self, cuda_nn::mat3d(batch1), cuda_nn::mat3d(batch2), beta,
              alpha, {&self, &batch1, &batch2});
}

void mv(const Tensor& result, const Tensor& self, const Tensor& vec) {
  add_product("mv", result, self, cuda_nn::mat2d(self), cuda_nn::as_column(vec), 0, 1,
              {&self, &vec});
}

void addmv(const Tensor& result, const Tensor& self, const Tensor& mat, const Tensor& vec,
           const Scalar& beta, const Scalar& alpha) {
  add_product("addmv", result, self, cuda_nn::mat2d(mat), cuda_nn::as_column(vec), beta, alpha,
              {&self, &mat, &vec});
}

// A (1, n) row times an (n, 1) column.
void dot(const Tensor& result, const Tensor& self, const Tensor& tensor) {
  add_product("dot", result, self, cuda_nn::as_row(self), cuda_nn::as_column(tensor), 0, 1,
              {&self, &tensor});
}

}  // namespace kiln::cuda
