// The .cu entry points, called by the host wrappers (*.cc). Each returns false when it has
// no kernel for the dtypes in `it` (the wrapper turns that into a clear error).
#pragma once

#include "kernels/cuda/launch_args.h"

namespace kiln::cuda {

// copy.cu. it: (out) / (out, src).
bool launch_fill(const Iter& it, const Params& p, const Launch& l);
bool launch_copy(const Iter& it, const Launch& l);

}  // namespace kiln::cuda
