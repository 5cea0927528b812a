// CUDA kernels of the linalg family (engine/ops/table/linalg.yaml) over cuBLAS: floating
// dtypes (float16/bfloat16 accumulate in float32; float32 uses TF32 only when allowed, see
// linalg_blas.h). Signatures as kernel_table.h: outputs first, allocated; inputs cast.
#pragma once

#include "engine/core/tensor.h"

namespace kiln::cuda {

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

}  // namespace kiln::cuda
