#include <algorithm>
#include <cstring>

#include "kernels/cpu/index.h"
#include "kernels/cpu/index_common.h"
#include "kernels/cpu/loops.h"

namespace kiln::cpu {

namespace {

// out (B.., m, n) = self, then zeros where the entry is outside the triangle: columns
// [0, i + diagonal) of row i for triu, (i + diagonal, n) for tril.
void triangle(const Tensor& out, const Tensor& self, int64_t diagonal, bool lower) {
  index_detail::copy_if_distinct(out, self);
  const int64_t nd = out.dim();
  const int64_t m = out.sizes()[nd - 2], n = out.sizes()[nd - 1];
  const int64_t rows = out.numel() / std::max<int64_t>(n, 1);
  if (out.numel() == 0) return;
  const int64_t es = static_cast<int64_t>(out.element_size());
  const int64_t col_stride = out.strides()[nd - 1] * es;
  char* base = static_cast<char*>(out.raw_data());
  const int64_t grain = std::max<int64_t>(1, kGrain / n);
  parallel_for(0, rows, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      // Row r of the flattened batch: its byte offset from the strides of the other dims.
      int64_t off = 0, rem = r;
      for (int64_t k = nd - 2; k >= 0; --k) {
        off += (rem % out.sizes()[k]) * out.strides()[k];
        rem /= out.sizes()[k];
      }
      const int64_t i = r % m;
      // Zero columns [z0, z1): the part outside the triangle.
      int64_t z0, z1;
      if (lower) {
        z0 = std::clamp<int64_t>(i + diagonal + 1, 0, n);
        z1 = n;
      } else {
        z0 = 0;
        z1 = std::clamp<int64_t>(i + diagonal, 0, n);
      }
      char* row = base + off * es;
      if (col_stride == es) {
        std::memset(row + z0 * es, 0, size_t((z1 - z0) * es));
      } else {
        for (int64_t j = z0; j < z1; ++j) std::memset(row + j * col_stride, 0, size_t(es));
      }
    }
  });
}

}  // namespace

void tril(const Tensor& out, const Tensor& self, int64_t diagonal) {
  triangle(out, self, diagonal, true);
}

void triu(const Tensor& out, const Tensor& self, int64_t diagonal) {
  triangle(out, self, diagonal, false);
}

}  // namespace kiln::cpu
