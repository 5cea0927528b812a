// Gradient clipping on CUDA (kernels/cuda/optim_clip.cu): torch.nn.utils.clip_grad_norm_ and
// clip_grad_value_ over the gradients themselves. Same contracts as kernels/cpu/optim_clip.cc.
#pragma once

#include <vector>

#include "engine/core/tensor.h"

namespace kiln::cuda {

void clip_grad_norm(const Tensor& total_norm, const std::vector<Tensor>& grads, double max_norm,
                    double norm_type, bool error_if_nonfinite);
void clip_grad_value(const std::vector<Tensor>& grads, double clip_value);

}  // namespace kiln::cuda
