// What the nn_norm kernels share: dense views of their inputs and the (outer, size, inner)
// geometry around a dim.
#include "kernels/cpu/copy.h"
#include "kernels/cpu/nn_norm.h"

namespace kiln::cpu::nn_detail {

Tensor dense(const Tensor& t) {
  if (!t.defined() || t.is_contiguous()) return t;
  Tensor out = empty_tensor(t.sizes(), t.dtype(), t.device());
  copy(out, t, false);
  return out;
}

Tensor dense_as(const Tensor& t, DType dtype) {
  if (!t.defined()) return t;
  if (t.dtype() == dtype && t.is_contiguous()) return t;
  Tensor out = empty_tensor(t.sizes(), dtype, t.device());
  copy(out, t, false);
  return out;
}

Around::Around(IntList sizes, int64_t dim) {
  const int64_t nd = static_cast<int64_t>(sizes.size());
  if (nd == 0) return;
  const int64_t d = wrap_dim(dim, nd);
  for (int64_t k = 0; k < d; ++k) outer *= sizes[k];
  size = sizes[d];
  for (int64_t k = d + 1; k < nd; ++k) inner *= sizes[k];
}

}  // namespace kiln::cpu::nn_detail
