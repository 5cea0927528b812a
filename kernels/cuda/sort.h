// sort, sort.stable and topk on CUDA (kernels/cuda/sort.cu). Same contracts as the CPU kernels
// (kernels/cpu/sort.cc): stable, NaN sorts as the largest value, topk ties go to the lower
// index. argsort is a composite over sort.
#pragma once

#include "engine/core/tensor.h"

namespace kiln::cuda {

void sort(const Tensor& values, const Tensor& indices, const Tensor& self, int64_t dim,
          bool descending);
void sort_stable(const Tensor& values, const Tensor& indices, const Tensor& self, bool stable,
                 int64_t dim, bool descending);
void topk(const Tensor& values, const Tensor& indices, const Tensor& self, int64_t k,
          int64_t dim, bool largest, bool sorted);

}  // namespace kiln::cuda
