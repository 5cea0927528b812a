// Elementwise unary kernels. The input arrives cast to the op's compute dtype.
#pragma once

#include "engine/core/tensor.h"

namespace kiln::cpu {

void neg(const Tensor& out, const Tensor& a);
void exp(const Tensor& out, const Tensor& a);

}  // namespace kiln::cpu
