#include "kernels/cpu/nn_seq_common.h"

#include <algorithm>

#include "kernels/cpu/copy.h"

namespace kiln::cpu::seq {

Tensor dense(const Tensor& t, DType d) {
  if (t.dtype() == d && t.is_contiguous()) return t;
  Tensor out = empty_tensor(t.sizes(), d, t.device());
  if (out.numel() > 0) copy(out, t, false);
  return out;
}

OutBuf::OutBuf(const Tensor& o, DType math) : out(o), buf(o) {
  if (o.dtype() == math && o.is_contiguous()) return;
  buf = empty_tensor(o.sizes(), math, o.device());
}

void OutBuf::finish() {
  if (!buf.is_same(out) && out.numel() > 0) copy(out, buf, false);
}

Tensor expand_view(const Tensor& t, const Shape& shape) {
  Shape strides(shape.size(), 0);
  const int64_t lead = int64_t(shape.size()) - t.dim();
  for (int64_t i = 0; i < t.dim(); ++i) {
    strides[lead + i] = t.sizes()[i] == 1 ? 0 : t.strides()[i];
  }
  return make_view(t, shape, strides, t.storage_offset());
}

MatArg::MatArg(const Tensor& w, DType math) {
  const int64_t rows = w.size(0), cols = w.size(1);
  if (w.dtype() == math && w.stride(1) == 1 && w.stride(0) >= std::max<int64_t>(cols, 1)) {
    keep = w, col_major = false, ld = w.stride(0);
  } else if (w.dtype() == math && w.stride(0) == 1 && w.stride(1) >= std::max<int64_t>(rows, 1) &&
             cols > 1) {
    keep = w, col_major = true, ld = w.stride(1);
  } else {
    keep = dense(w, math), col_major = false, ld = std::max<int64_t>(cols, 1);
  }
  data = keep.raw_data();
}

}  // namespace kiln::cpu::seq
