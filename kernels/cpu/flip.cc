#include "kernels/cpu/copy.h"
#include "kernels/cpu/index.h"

namespace kiln::cpu {

// out = self read backwards along dims: a view of self with those strides negated (and its
// start moved to their last entry), copied.
void flip(const Tensor& out, const Tensor& self, IntList dims) {
  if (self.numel() == 0) return;
  Shape strides = self.strides();
  int64_t offset = self.storage_offset();
  for (int64_t d : dims) {
    const int64_t w = wrap_dim(d, self.dim());
    if (self.dim() == 0) continue;
    offset += (self.sizes()[w] - 1) * strides[w];
    strides[w] = -strides[w];
  }
  copy(out, make_view(self, self.sizes(), strides, offset), false);
}

}  // namespace kiln::cpu
