// Template bodies for rules.h.
#pragma once

namespace kiln::rules {

template <typename F>
void write_into(const Tensor& dst, DType dtype, F&& kernel) {
  if (dst.dtype() == dtype) {
    kernel(dst);
  } else {
    Tensor tmp = empty_tensor(dst.sizes(), dtype, dst.device());
    kernel(tmp);
    copy_into(dst, tmp);
  }
  dst.bump_version();
}

}  // namespace kiln::rules
