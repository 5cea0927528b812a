// Elementwise binary kernels. Inputs arrive already cast to the op's compute dtype and
// broadcastable to out's shape.
#pragma once

#include <optional>
#include <string>

#include "engine/core/tensor.h"

namespace kiln::cpu {

void add(const Tensor& out, const Tensor& a, const Tensor& b, const Scalar& alpha);
void sub(const Tensor& out, const Tensor& a, const Tensor& b, const Scalar& alpha);
void mul(const Tensor& out, const Tensor& a, const Tensor& b);
void div(const Tensor& out, const Tensor& a, const Tensor& b,
         const std::optional<std::string>& rounding_mode);

}  // namespace kiln::cpu
