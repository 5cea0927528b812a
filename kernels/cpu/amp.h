// CPU kernels of GradScaler's engine ops (engine/ops/amp.cc checks the arguments).
#pragma once

#include <vector>

#include "engine/core/tensor.h"

namespace kiln::cpu {

// Each tensor *= inv_scale (skipped when inv_scale is 1); found_inf = 1 if any value of any
// tensor, before the multiply, is inf or NaN. found_inf and inv_scale: one-element float32.
void amp_non_finite_check_and_unscale(const std::vector<Tensor>& self, const Tensor& found_inf,
                                      const Tensor& inv_scale);
// GradScaler's scale update (see optim.yaml's _amp_update_scale_).
void amp_update_scale(const Tensor& scale, const Tensor& growth_tracker, const Tensor& found_inf,
                      double growth_factor, double backoff_factor, int64_t growth_interval);

}  // namespace kiln::cpu
