// What the index kernels share: index tensors as plain int64 arrays, range checks, copies.
#pragma once

#include <cstdint>

#include "engine/core/tensor.h"

namespace kiln::cpu::index_detail {

// `t` contiguous and of `dtype` (itself when it already is).
Tensor contiguous_as(const Tensor& t, DType dtype);
// out = self, unless out is self (the in-place variants) or the same elements of it.
void copy_if_distinct(const Tensor& out, const Tensor& self);
// A contiguous tensor for a kernel to write into: `out` itself, or a temporary when out is
// strided (finish() copies it back).
struct DenseOut {
  explicit DenseOut(const Tensor& out, bool keep_values);
  void finish();
  Tensor out;
  Tensor dense;
};
// Position of the first of idx[0..n) outside [lo, hi), or -1.
int64_t first_outside(const int64_t* idx, int64_t n, int64_t lo, int64_t hi);
// Moves n elements of `size` bytes; small power-of-two sizes as typed loads.
void copy_elements(char* dst, int64_t dst_stride, const char* src, int64_t src_stride, int64_t n,
                   int64_t size);

}  // namespace kiln::cpu::index_detail
