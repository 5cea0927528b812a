#include "kernels/cpu/index_common.h"

#include <cstring>

#include "kernels/cpu/copy.h"

namespace kiln::cpu::index_detail {

Tensor contiguous_as(const Tensor& t, DType dtype) {
  if (t.dtype() == dtype && t.is_contiguous()) return t;
  Tensor out = empty_tensor(t.sizes(), dtype, t.device());
  copy(out, t, false);
  return out;
}

void copy_if_distinct(const Tensor& out, const Tensor& self) {
  if (out.storage() == self.storage() && out.storage_offset() == self.storage_offset() &&
      out.sizes() == self.sizes() && out.strides() == self.strides()) {
    return;
  }
  if (out.numel() > 0) copy(out, self, false);
}

DenseOut::DenseOut(const Tensor& o, bool keep_values) : out(o), dense(o) {
  if (o.is_contiguous()) return;
  dense = empty_tensor(o.sizes(), o.dtype(), o.device());
  if (keep_values) copy(dense, o, false);
}

void DenseOut::finish() {
  if (!dense.is_same(out)) copy(out, dense, false);
}

int64_t first_outside(const int64_t* idx, int64_t n, int64_t lo, int64_t hi) {
  for (int64_t i = 0; i < n; ++i) {
    if (idx[i] < lo || idx[i] >= hi) return i;
  }
  return -1;
}

template <typename T>
static void copy_typed(char* dst, int64_t ds, const char* src, int64_t ss, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, src + i * ss, sizeof(T));
    std::memcpy(dst + i * ds, &v, sizeof(T));
  }
}

void copy_elements(char* dst, int64_t dst_stride, const char* src, int64_t src_stride, int64_t n,
                   int64_t size) {
  if (dst_stride == size && src_stride == size) {
    std::memcpy(dst, src, size_t(n * size));
    return;
  }
  switch (size) {
    case 1:
      return copy_typed<uint8_t>(dst, dst_stride, src, src_stride, n);
    case 2:
      return copy_typed<uint16_t>(dst, dst_stride, src, src_stride, n);
    case 4:
      return copy_typed<uint32_t>(dst, dst_stride, src, src_stride, n);
    case 8:
      return copy_typed<uint64_t>(dst, dst_stride, src, src_stride, n);
    default:
      for (int64_t i = 0; i < n; ++i) std::memcpy(dst + i * dst_stride, src + i * src_stride, size);
  }
}

}  // namespace kiln::cpu::index_detail
