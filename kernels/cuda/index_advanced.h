// Advanced indexing (index, index_put; kernels/cuda/index_advanced.cu) and
// repeat_interleave.Tensor (kernels/cuda/repeat_interleave.cu) on CUDA. Same contracts and
// messages as kernels/cpu; index values are checked on the device before anything is written
// (one small read per index tensor).
#pragma once

#include <optional>
#include <vector>

#include "engine/core/tensor.h"

namespace kiln::cuda {

void index(const Tensor& out, const Tensor& self, const std::vector<Tensor>& indices);
void index_put(const Tensor& out, const Tensor& self, const std::vector<Tensor>& indices,
               const Tensor& values, bool accumulate);
// The total is read back from the device (one sync) before the output is made.
Tensor repeat_interleave_Tensor(const Tensor& repeats, std::optional<int64_t> output_size);

}  // namespace kiln::cuda
