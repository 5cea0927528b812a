// Reductions.
#pragma once

#include <optional>

#include "engine/core/tensor.h"

namespace kiln::cpu {

void sum(const Tensor& out, const Tensor& self, const std::optional<Shape>& dim, bool keepdim,
         std::optional<DType> dtype);

}  // namespace kiln::cpu
