// torch.nn.utils.clip_grad_norm_ / clip_grad_value_: over the .grad of parameters (those
// without one are left out), through the clip_grad_norm_ / clip_grad_value_ ops.
#pragma once

#include <vector>

#include "engine/core/tensor.h"

namespace kiln::optim {

// Scales the gradients in place so that their joint norm (norm_type: any p, inf included) is
// at most max_norm, and returns the norm they had: a 0-dim tensor of their dtype, 0. when no
// parameter has a gradient. error_if_nonfinite: a nan/inf norm is an error, and nothing is
// scaled.
Tensor clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm,
                       double norm_type = 2.0, bool error_if_nonfinite = false);

// Clamps the gradients in place to [-clip_value, clip_value].
void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value);

}  // namespace kiln::optim
