// Copies and fills.
#pragma once

#include "engine/core/tensor.h"

namespace kiln::cpu {

// dst = src converted to dst's dtype; src already has dst's shape (maybe with stride 0).
void copy(const Tensor& dst, const Tensor& src, bool non_blocking);
void fill(const Tensor& self, const Scalar& value);

}  // namespace kiln::cpu
