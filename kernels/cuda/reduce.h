// Reductions and scans on CUDA (kernels/cuda/reduce.cu, scan.cu). Same contracts as
// kernels/cpu/reduce.h: outputs come allocated, inputs arrive cast to the compute dtype.
// sort / topk have no CUDA kernel yet (their table entries list no cuda dtypes).
#pragma once

#include <optional>

#include "engine/core/scalar.h"
#include "engine/core/tensor.h"

namespace kiln::cuda {

void sum(const Tensor& out, const Tensor& self, const std::optional<Shape>& dim, bool keepdim,
         std::optional<DType> dtype);
void mean(const Tensor& out, const Tensor& self, const std::optional<Shape>& dim, bool keepdim,
          std::optional<DType> dtype);
void prod(const Tensor& out, const Tensor& self, std::optional<DType> dtype);
void prod_dim(const Tensor& out, const Tensor& self, int64_t dim, bool keepdim,
              std::optional<DType> dtype);
void all(const Tensor& out, const Tensor& self);
void all_dim(const Tensor& out, const Tensor& self, int64_t dim, bool keepdim);
void any(const Tensor& out, const Tensor& self);
void any_dim(const Tensor& out, const Tensor& self, int64_t dim, bool keepdim);
void count_nonzero_dims(const Tensor& out, const Tensor& self, IntList dim);
void count_nonzero(const Tensor& out, const Tensor& self, std::optional<int64_t> dim);

void max_all(const Tensor& out, const Tensor& self);
void min_all(const Tensor& out, const Tensor& self);
void max_dim(const Tensor& values, const Tensor& indices, const Tensor& self, int64_t dim,
             bool keepdim);
void min_dim(const Tensor& values, const Tensor& indices, const Tensor& self, int64_t dim,
             bool keepdim);
void amax(const Tensor& out, const Tensor& self, IntList dim, bool keepdim);
void amin(const Tensor& out, const Tensor& self, IntList dim, bool keepdim);
void argmax(const Tensor& out, const Tensor& self, std::optional<int64_t> dim, bool keepdim);
void argmin(const Tensor& out, const Tensor& self, std::optional<int64_t> dim, bool keepdim);

void var(const Tensor& out, const Tensor& self, const std::optional<Shape>& dim,
         std::optional<int64_t> correction, bool keepdim);
void std_(const Tensor& out, const Tensor& self, const std::optional<Shape>& dim,
          std::optional<int64_t> correction, bool keepdim);
void norm(const Tensor& out, const Tensor& self, const std::optional<Scalar>& p,
          const std::optional<Shape>& dim, bool keepdim, std::optional<DType> dtype);
void logsumexp(const Tensor& out, const Tensor& self, IntList dim, bool keepdim);

void cumsum(const Tensor& out, const Tensor& self, int64_t dim, std::optional<DType> dtype);
void cumprod(const Tensor& out, const Tensor& self, int64_t dim, std::optional<DType> dtype);

}  // namespace kiln::cuda
