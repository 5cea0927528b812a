// linear and its backward on cuBLAS: the input's batch dims flattened into GEMM rows. The
// bias is written into the output first and the GEMM adds onto it (beta = 1); the bias
// gradient is a column sum over rows in a fixed order (deterministic).
#include "kernels/cuda/linalg_blas.h"
#include "kernels/cuda/nn_common.cuh"
#include "kernels/cuda/nn_kernels.h"

namespace kiln::cuda {

using namespace cuda_nn;  // NOLINT

namespace {

// out (n) = sum over rows of x (rows, n). Block (32, 16) covers 32 columns.
template <typename T>
__global__ void column_sums(T* __restrict__ out, const T* __restrict__ x, int64_t rows, int64_t n) {
  using A = acc_t<T>;
  __shared__ A part[16][33];
  const int64_t col = int64_t(blockIdx.x) * 32 + threadIdx.x;
  A acc = 0;
  if (col < n) {
    for (int64_t r = threadIdx.y; r < rows; r += 16) acc += to_acc(x[r * n + col]);
  }
  part[threadIdx.y][threadIdx.x] = acc;
  __syncthreads();
  if (threadIdx.y == 0 && col < n) {
    A t = 0;
    for (int k = 0; k < 16; ++k) t += part[k][threadIdx.x];
    out[col] = from_acc<T>(t);
  }
}

// A contiguous (rows, k) matrix view of a dense tensor (*, k).
MatView rows_view(const Tensor& dense_t, int64_t rows, int64_t k) {
  MatView m;
  m.t = dense_t;
  m.rows = rows;
  m.cols = k;
  m.row_stride = std::max<int64_t>(k, 1);
  m.col_stride = 1;
  return m;
}

}  // namespace

// out (R, N) = input (R, K) @ weight (N, K)^T [+ bias broadcast]
void linear(const Tensor& out, const Tensor& input_, const Tensor& weight, const Tensor& bias) {
  static constexpr const char* kOp = "linear";
  if (out.numel() == 0) return;
  DeviceGuard guard(out, kOp);
  KILN_ASSERT(out.is_contiguous(), kOp, ": output layout");
  const int64_t n = weight.size(0), k = weight.size(1);
  const int64_t rows = out.numel() / n;
  const Tensor input = dense(input_, kOp);
  double beta = 0;
  if (bias.defined()) {
    expand_into(out, bias, kOp);
    beta = 1;
  }
  const Tensor out2 = make_view(out, {rows, n}, {n, 1}, out.storage_offset());
  gemm(kOp, out2, rows_view(input, rows, k), transposed(mat2d(weight)), 1.0, beta);
}

void linear_backward(const Tensor& grad_input, const Tensor& grad_weight, const Tensor& grad_bias,
                     const Tensor& self, const Tensor& grad_output, const Tensor& weight,
                     bool input_grad, bool weight_grad, bool bias_grad) {
  static constexpr const char* kOp = "linear_backward";
  DeviceGuard guard(grad_output, kOp);
  const int64_t n = weight.size(0), k = weight.size(1);
  // Rows from the batch dims (K may be 0, so not numel / K).
  int64_t rows_exact = 1;
  for (int64_t d = 0; d + 1 < self.dim(); ++d) rows_exact *= self.sizes()[size_t(d)];
  const Tensor go = dense(grad_output, kOp);  // (R, N)
  const MatView gov = rows_view(go, rows_exact, n);
  if (input_grad && grad_input.numel() > 0) {
    // (R, K) = go (R, N) @ W (N, K)
    KILN_ASSERT(grad_input.is_contiguous(), kOp, ": output layout");
    const Tensor gi2 = make_view(grad_input, {rows_exact, k}, {k, 1}, grad_input.storage_offset());
    gemm(kOp, gi2, gov, mat2d(weight), 1.0, 0.0);
  }
  if (weight_grad && grad_weight.numel() > 0) {
    // (N, K) = go^T (N, R) @ X (R, K)
    KILN_ASSERT(grad_weight.is_contiguous(), kOp, ": output layout");
    const Tensor x = dense(self, kOp);
    gemm(kOp, grad_weight, transposed(gov), rows_view(x, rows_exact, k), 1.0, 0.0);
  }
  if (bias_grad && grad_bias.numel() > 0) {
    KILN_ASSERT(grad_bias.is_contiguous(), kOp, ": output layout");
    if (rows_exact == 0) {
      zero_(grad_bias, kOp);
      return;
    }
    const int64_t tiles = (n + 31) / 32;
    KILN_CHECK(tiles <= int64_t(std::numeric_limits<int>::max()), kOp, ": too many columns");
    cudaStream_t s = stream_for(grad_bias);
    dispatch_floating(grad_bias.dtype(), kOp, [&](auto T_tag) {
    using T = typename decltype(T_tag)::type;
      column_sums<T><<<unsigned(tiles), dim3(32, 16), 0, s>>>(ptr<T>(grad_bias), ptr<T>(go),
                                                             rows_exact, n);
    });
    check_launch(kOp);
  }
}

}  // namespace kiln::cuda
