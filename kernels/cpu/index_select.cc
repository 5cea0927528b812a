// index_select and index_add: whole slices of one dim picked or accumulated by index.
#include <cstring>

#include "kernels/cpu/index.h"
#include "kernels/cpu/index_common.h"
#include "kernels/cpu/loops.h"

namespace kiln::cpu {

using index_detail::contiguous_as;
using index_detail::DenseOut;

namespace {

// self viewed as (outer, size, inner) around dim; a 0-d tensor is (1, 1, 1).
struct Around {
  int64_t outer = 1, size = 1, inner = 1;
  Around(const Tensor& t, int64_t dim) {
    if (t.dim() == 0) return;
    const int64_t d = wrap_dim(dim, t.dim());
    for (int64_t k = 0; k < d; ++k) outer *= t.sizes()[k];
    size = t.sizes()[d];
    for (int64_t k = d + 1; k < t.dim(); ++k) inner *= t.sizes()[k];
  }
};

void check_indices(const char* op, const int64_t* idx, int64_t n, int64_t size) {
  const int64_t bad = index_detail::first_outside(idx, n, 0, size);
  KILN_CHECK_INDEX(bad < 0, op, ": index out of range in self (index ", bad < 0 ? 0 : idx[bad],
                   " for a dim of size ", size, ")");
}

}  // namespace

// out (outer, n, inner) = self (outer, size, inner) at index[k] in the middle dim.
void index_select(const Tensor& out, const Tensor& self, int64_t dim, const Tensor& index) {
  const Tensor idx_t = contiguous_as(index, DType::kInt64);
  const int64_t* idx = idx_t.data_ptr<int64_t>();
  const int64_t n = idx_t.numel();
  const Around s(self, dim);
  check_indices("index_select", idx, n, s.size);
  if (out.numel() == 0) return;
  const Tensor src_t = contiguous_as(self, self.dtype());
  DenseOut dst_t(out, false);
  const char* src = static_cast<const char*>(src_t.raw_data());
  char* dst = static_cast<char*>(dst_t.dense.raw_data());
  const int64_t es = static_cast<int64_t>(self.element_size());
  const int64_t row = s.inner * es;
  const int64_t rows = s.outer * n;
  const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(s.inner, 1));
  parallel_for(0, rows, grain, [&](int64_t lo, int64_t hi) {
    if (s.inner == 1) {
      // One element per row: gather elements along the whole range.
      for (int64_t r = lo; r < hi;) {
        const int64_t p = r / n, k0 = r % n, m = std::min(hi - r, n - k0);
        const char* base = src + p * s.size * es;
        char* o = dst + r * es;
        switch (es) {
          case 4:
            for (int64_t k = 0; k < m; ++k) {
              std::memcpy(o + k * 4, base + idx[k0 + k] * 4, 4);
            }
            break;
          case 8:
            for (int64_t k = 0; k < m; ++k) {
              std::memcpy(o + k * 8, base + idx[k0 + k] * 8, 8);
            }
            break;
          default:
            for (int64_t k = 0; k < m; ++k) {
              std::memcpy(o + k * es, base + idx[k0 + k] * es, size_t(es));
            }
        }
        r += m;
      }
      return;
    }
    // Rows come from random places: ask for the one kPrefetch rows ahead while copying,
    // so several cache misses are in flight at once.
    constexpr int64_t kPrefetch = 8;
    for (int64_t r = lo; r < hi; ++r) {
      if (r + kPrefetch < hi) {
        const int64_t pf = r + kPrefetch;
        const char* ahead = src + ((pf / n) * s.size + idx[pf % n]) * row;
        for (int64_t b = 0; b < row && b < 512; b += 64) __builtin_prefetch(ahead + b);
      }
      const int64_t p = r / n, k = r % n;
      std::memcpy(dst + r * row, src + (p * s.size + idx[k]) * row, size_t(row));
    }
  });
  dst_t.finish();
}

// out = self; out (outer, index[k], inner) += alpha * source (outer, k, inner). Threads split
// outer (or inner) so every destination slot is summed by one thread in index order.
void index_add(const Tensor& out, const Tensor& self, int64_t dim, const Tensor& index,
               const Tensor& source, const Scalar& alpha) {
  const Tensor idx_t = contiguous_as(index, DType::kInt64);
  const int64_t* idx = idx_t.data_ptr<int64_t>();
  const int64_t n = idx_t.numel();
  const Around s(self, dim);
  check_indices("index_add", idx, n, s.size);
  index_detail::copy_if_distinct(out, self);
  if (out.numel() == 0 || n == 0) return;
  const Tensor src_t = contiguous_as(source, source.dtype());
  DenseOut dst_t(out, true);
  KILN_DISPATCH_ALL(out.dtype(), "index_add", [&]<typename T>() {
    using acc_t = opmath_t<T>;
    const acc_t a = alpha.to<acc_t>();
    T* dst = dst_t.dense.data_ptr<T>();
    const T* src = src_t.data_ptr<T>();
    auto add_rows = [&](int64_t p, int64_t q0, int64_t q1) {
      for (int64_t k = 0; k < n; ++k) {
        T* o = dst + (p * s.size + idx[k]) * s.inner;
        const T* v = src + (p * n + k) * s.inner;
        for (int64_t q = q0; q < q1; ++q) {
          if constexpr (std::is_same_v<T, bool>) {
            o[q] = o[q] || (v[q] && a);
          } else {
            o[q] = T(acc_t(o[q]) + a * acc_t(v[q]));
          }
        }
      }
    };
    if (s.outer > 1) {
      const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(n * s.inner, 1));
      parallel_for(0, s.outer, grain, [&](int64_t lo, int64_t hi) {
        for (int64_t p = lo; p < hi; ++p) add_rows(p, 0, s.inner);
      });
    } else {
      const int64_t grain = std::max<int64_t>(1, kGrain / n);
      parallel_for(0, s.inner, grain, [&](int64_t lo, int64_t hi) { add_rows(0, lo, hi); });
    }
  });
  dst_t.finish();
}

}  // namespace kiln::cpu
