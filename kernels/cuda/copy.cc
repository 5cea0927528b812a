#include "kernels/cuda/copy.h"

#include "kernels/cuda/iter.h"
#include "kernels/cuda/launchers.h"

namespace kiln::cuda {

void fill(const Tensor& self, const Scalar& value) {
  if (self.numel() == 0) return;
  OpScope s(self);
  IterHolder h = make_iter("fill_", self, {});
  finish("fill_", launch_fill(h.it, params({value}), s.launch()), self.dtype());
}

void copy(const Tensor& self, const Tensor& src, bool) {
  if (self.numel() == 0) return;
  OpScope s(self);
  // Dense, same dtype, same order: one memcpy on the stream.
  if (self.dtype() == src.dtype() && self.is_contiguous() && src.is_contiguous() &&
      self.sizes() == src.sizes() && src.device() == self.device()) {
    check(cudaMemcpyAsync(self.raw_data(), src.raw_data(), self.nbytes(),
                          cudaMemcpyDeviceToDevice, s.launch().stream),
          "copy_");
    return;
  }
  IterHolder h = make_iter("copy_", self, {src});
  finish("copy_", launch_copy(h.it, s.launch()), self.dtype());
}

}  // namespace kiln::cuda
