// Reductions, scans and sorts (table/reduce.yaml). Outputs come allocated with the rule's
// shape and dtype; inputs arrive cast to the entry's compute dtype.
//
//   reduce.cc          sum, mean, prod, all/any, count_nonzero
//   reduce_minmax.cc   max/min (full and .dim), amax/amin, argmax/argmin
//   reduce_stats.cc    var/std, norm, logsumexp
//   scan.cc            cumsum, cumprod
//   sort.cc            sort, topk
#pragma once

#include <optional>

#include "engine/core/scalar.h"
#include "engine/core/tensor.h"

namespace kiln::cpu {

void sum(const Tensor& out, const Tensor& self, const std::optional<Shape>& dim, bool keepdim,
         std::optional<DType> dtype);
void mean(const Tensor& out, const Tensor& self, const std::optional<Shape>& dim, bool keepdim,
          std::optional<DType> dtype);
void prod(const Tensor& out, const Tensor& self, std::optional<DType> dtype);
void prod_dim(const Tensor& out, const Tensor& self, int64_t dim, bool keepdim,
              std::optional<DType> dtype);
// all / any: out is bool (uint8 for uint8 input); self any dtype.
void all(const Tensor& out, const Tensor& self);
void all_dim(const Tensor& out, const Tensor& self, int64_t dim, bool keepdim);
void any(const Tensor& out, const Tensor& self);
void any_dim(const Tensor& out, const Tensor& self, int64_t dim, bool keepdim);
void count_nonzero_dims(const Tensor& out, const Tensor& self, IntList dim);
void count_nonzero(const Tensor& out, const Tensor& self, std::optional<int64_t> dim);

// NaN wins: max/min of anything with a NaN is NaN, and its index is the first NaN's.
// Ties give the first index.
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

// Two passes (mean, then squared deviations): divides by N - correction (default 1).
void var(const Tensor& out, const Tensor& self, const std::optional<Shape>& dim,
         std::optional<int64_t> correction, bool keepdim);
void std_(const Tensor& out, const Tensor& self, const std::optional<Shape>& dim,
          std::optional<int64_t> correction, bool keepdim);
void norm(const Tensor& out, const Tensor& self, const std::optional<Scalar>& p,
          const std::optional<Shape>& dim, bool keepdim, std::optional<DType> dtype);
void logsumexp(const Tensor& out, const Tensor& self, IntList dim, bool keepdim);

void cumsum(const Tensor& out, const Tensor& self, int64_t dim, std::optional<DType> dtype);
void cumprod(const Tensor& out, const Tensor& self, int64_t dim, std::optional<DType> dtype);

// Stable: equal values keep their order; NaN sorts above everything.
void sort(const Tensor& values, const Tensor& indices, const Tensor& self, int64_t dim,
          bool descending);
void sort_stable(const Tensor& values, const Tensor& indices, const Tensor& self, bool stable,
                 int64_t dim, bool descending);
// Always returns the k entries sorted (sorted=False allows any order); ties by index.
void topk(const Tensor& values, const Tensor& indices, const Tensor& self, int64_t k,
          int64_t dim, bool largest, bool sorted);

}  // namespace kiln::cpu
