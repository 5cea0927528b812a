// The CUDA kernel binder: bind_cuda fills the cuda KernelTable (engine/ops/bind_cuda.cc,
// creation/convert/unary/binary/reduce/index/view families) and calls bind_cuda_nn
// (engine/ops/bind_cuda_nn.cc: linalg, nn_*, optim). Registered at static-init time when the
// library is linked (CUDA_BACKEND_DEPS in kernels/cuda/cuda.bzl).
#pragma once

#include "engine/ops/kernel_table.h"

namespace kiln {

void bind_cuda(KernelTable& t);
void bind_cuda_nn(KernelTable& t);

}  // namespace kiln
