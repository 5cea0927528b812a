// cuBLAS under the CUDA matrix products (mm, bmm, addmm, baddbmm, mv, addmv, dot, linear,
// attention): row-major views mapped onto column-major GEMMs, float16/bfloat16 with float32
// accumulation, and the TF32 switch that mirrors torch.backends.cuda.matmul.allow_tf32.
#pragma once

#include <cstdint>

#include "engine/core/tensor.h"

namespace kiln::cuda_nn {

// torch.backends.cuda.matmul.allow_tf32 (default false, as PyTorch >= 1.12): float32
// GEMMs may use TF32 tensor cores. Process-wide.
void set_allow_tf32(bool allow);
bool allow_tf32();

// A matrix operand: `t` viewed as (batch, rows, cols) with the given strides. Operands that
// cuBLAS cannot address (neither dim unit-stride, or a broadcast row) are made dense.
struct MatView {
  Tensor t;
  int64_t batch = 1, rows = 0, cols = 0;
  int64_t batch_stride = 0, row_stride = 0, col_stride = 0;
};
MatView mat2d(const Tensor& t);                           // (rows, cols)
MatView mat3d(const Tensor& t);                           // (batch, rows, cols)
MatView transposed(const MatView& m);                     // the (cols, rows) view of m
MatView as_column(const Tensor& v);                       // a 1-d (n) as (n, 1)
MatView as_row(const Tensor& v);                          // a 1-d (n) as (1, n)

// c (batch, M, N), contiguous, = alpha * a (batch, M, K) @ b (batch, K, N) + beta * c.
// beta == 0 never reads c. The batch of a or b may be 1 (broadcast over c's batch).
void gemm(const char* op, const Tensor& c, const MatView& a, const MatView& b, double alpha,
          double beta);

}  // namespace kiln::cuda_nn
