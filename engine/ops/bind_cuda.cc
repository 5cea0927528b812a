// Binds the CUDA kernels (kernels/cuda) to the ops of the table, one line per op, and
// registers the binder with the kernel table at static-init time. An op is reached here only
// for the dtypes its table entry lists under `cuda:`.
#include "engine/ops/bind_cuda.h"

#include "engine/ops/bind.h"
#include "kernels/cuda/copy.h"

namespace kiln {

void bind_cuda(KernelTable& t) {
  // ---- creation and convert: fill_, copy_ ----
  t.fill_ = cuda::fill;
  t.copy_ = cuda::copy;
  // (end of creation and convert)

  // ---- nn, linalg, optim: engine/ops/bind_cuda_nn.cc ----
  bind_cuda_nn(t);
  // (end of nn)
}

namespace {

[[maybe_unused]] const bool kRegistered = [] {
  register_kernel_binder(DeviceType::kCUDA, bind_cuda);
  return true;
}();

}  // namespace

}  // namespace kiln
