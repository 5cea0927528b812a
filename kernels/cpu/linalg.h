// Matrix products (table/linalg.yaml). Float and double go through OpenBLAS; float16 and
// bfloat16 are converted to float around it; integers use a plain loop (as PyTorch allows).
// Outputs arrive allocated (maybe non-contiguous, maybe aliasing self for in-place ops);
// inputs have their final dtype and any strides.
#pragma once

#include "engine/core/tensor.h"

namespace kiln::cpu {

void mm(const Tensor& result, const Tensor& self, const Tensor& mat2);
void bmm(const Tensor& result, const Tensor& self, const Tensor& mat2);
void addmm(const Tensor& result, const Tensor& self, const Tensor& mat1, const Tensor& mat2,
           const Scalar& beta, const Scalar& alpha);
void baddbmm(const Tensor& result, const Tensor& self, const Tensor& batch1, const Tensor& batch2,
             const Scalar& beta, const Scalar& alpha);
void mv(const Tensor& result, const Tensor& self, const Tensor& vec);
void addmv(const Tensor& result, const Tensor& self, const Tensor& mat, const Tensor& vec,
           const Scalar& beta, const Scalar& alpha);
void dot(const Tensor& result, const Tensor& self, const Tensor& tensor);

// c (B, n, p) contiguous = alpha * a (B, n, m) @ b (B, m, p) + beta * c, all one dtype; a and
// b take any strides (a batch stride of 0 repeats one matrix). beta == 0 ignores c's values.
void gemm_batched(const Tensor& c, const Tensor& a, const Tensor& b, const Scalar& alpha,
                  const Scalar& beta);

// Row-major C (m x n) = alpha op(A) (m x k) op(B) (k x n) + beta C through OpenBLAS, with
// BLAS's thread count kept equal to Kiln's (set_num_threads): the GEMM the nn kernels call
// (linear, the RNN cells, attention, convolution). k = 0 gives beta C; beta = 0 ignores C.
void blas_gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
               int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);
void blas_gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const double* a,
               int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc);

}  // namespace kiln::cpu
