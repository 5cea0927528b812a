// Index-family kernels on CUDA (kernels/cuda/index.cu; cat, flip and padding are copies
// between views). Same contracts as kernels/cpu/index.h; index values are checked on the
// device before anything is written (one small device->host read per indexed op).
// index / index_put / repeat_interleave: kernels/cuda/index_advanced.h.
#pragma once

#include <string>
#include <vector>

#include "engine/core/tensor.h"

namespace kiln::cuda {

void cat(const Tensor& out, const std::vector<Tensor>& tensors, int64_t dim);
void index_select(const Tensor& out, const Tensor& self, int64_t dim, const Tensor& index);
void index_add(const Tensor& out, const Tensor& self, int64_t dim, const Tensor& index,
               const Tensor& source, const Scalar& alpha);
void gather(const Tensor& out, const Tensor& self, int64_t dim, const Tensor& index,
            bool sparse_grad);
void scatter_src(const Tensor& out, const Tensor& self, int64_t dim, const Tensor& index,
                 const Tensor& src);
void scatter_value(const Tensor& out, const Tensor& self, int64_t dim, const Tensor& index,
                   const Scalar& value);
void scatter_reduce(const Tensor& out, const Tensor& self, int64_t dim, const Tensor& index,
                    const Tensor& src, const std::string& reduce);
void scatter_value_reduce(const Tensor& out, const Tensor& self, int64_t dim, const Tensor& index,
                          const Scalar& value, const std::string& reduce);
void scatter_add(const Tensor& out, const Tensor& self, int64_t dim, const Tensor& index,
                 const Tensor& src);
void masked_fill_Scalar(const Tensor& out, const Tensor& self, const Tensor& mask,
                        const Scalar& value);
void masked_fill_Tensor(const Tensor& out, const Tensor& self, const Tensor& mask,
                        const Tensor& value);
// Dynamic shapes: the count is read back from the device before the output is made.
Tensor masked_select(const Tensor& self, const Tensor& mask);
Tensor nonzero(const Tensor& self);
void flip(const Tensor& out, const Tensor& self, IntList dims);
void tril(const Tensor& out, const Tensor& self, int64_t diagonal);
void triu(const Tensor& out, const Tensor& self, int64_t diagonal);
void constant_pad_nd(const Tensor& out, const Tensor& self, IntList pad, const Scalar& value);

}  // namespace kiln::cuda
