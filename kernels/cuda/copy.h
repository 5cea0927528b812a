// fill_ and copy_ on CUDA tensors (kernels/cuda/copy.cu). copy_'s src is on self's device
// (engine/ops/convert.cc moves bytes across devices first) and broadcasts to self.
#pragma once

#include "engine/core/tensor.h"

namespace kiln::cuda {

void fill(const Tensor& self, const Scalar& value);
void copy(const Tensor& self, const Tensor& src, bool non_blocking);

}  // namespace kiln::cuda
