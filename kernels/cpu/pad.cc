#include <algorithm>

#include "kernels/cpu/copy.h"
#include "kernels/cpu/index.h"

namespace kiln::cpu {

// out = value everywhere, then the part of self that survives the (possibly negative)
// padding copied into place: along each padded dim, out[max(l, 0) + j] = self[max(-l, 0) + j].
void constant_pad_nd(const Tensor& out, const Tensor& self, IntList pad, const Scalar& value) {
  if (out.numel() == 0) return;
  fill(out, value);
  Shape sizes = self.sizes();
  int64_t out_off = out.storage_offset(), self_off = self.storage_offset();
  for (size_t i = 0; i < pad.size() / 2; ++i) {
    const int64_t d = self.dim() - 1 - int64_t(i);
    const int64_t l = pad[2 * i];
    const int64_t n = std::min(self.sizes()[d] + std::min<int64_t>(l, 0),
                               out.sizes()[d] - std::max<int64_t>(l, 0));
    if (n <= 0) return;  // nothing of self survives
    sizes[d] = n;
    out_off += std::max<int64_t>(l, 0) * out.strides()[d];
    self_off += std::max<int64_t>(-l, 0) * self.strides()[d];
  }
  for (int64_t s : sizes) {
    if (s == 0) return;
  }
  copy(make_view(out, sizes, out.strides(), out_off),
       make_view(self, sizes, self.strides(), self_off), false);
}

}  // namespace kiln::cpu
