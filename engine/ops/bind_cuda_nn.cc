// Binds the CUDA kernels of linalg, nn_* and optim (kernels/cuda) to the ops of the table.
// Called from bind_cuda (engine/ops/bind_cuda.cc).
#include "engine/ops/bind_cuda.h"

namespace kiln {

void bind_cuda_nn(KernelTable& t) { (void)t; }

}  // namespace kiln
