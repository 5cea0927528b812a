#include <algorithm>
#include <cstring>

#include "kernels/cpu/copy.h"
#include "kernels/cpu/index.h"
#include "kernels/cpu/loops.h"

namespace kiln::cpu {

// out (outer, sum n_i * inner) is a row per outer index; each row is the tensors' rows
// (n_i * inner) side by side. With everything contiguous the output is a sequence of byte
// segments, one per (row, tensor), and the threads split the output's bytes evenly however
// those segments are sized (16 x 1M rows or 1M x 16 tiny ones alike).
void cat(const Tensor& out, const std::vector<Tensor>& tensors, int64_t dim) {
  if (out.numel() == 0) return;
  const int64_t d = wrap_dim(dim, out.dim());
  std::vector<const Tensor*> parts;
  for (const Tensor& t : tensors) {
    if (t.numel() > 0) parts.push_back(&t);  // empty ones (legacy 1-d included) add nothing
  }
  bool dense = out.is_contiguous();
  for (const Tensor* t : parts) dense = dense && t->is_contiguous();
  if (!dense) {
    int64_t start = 0;
    for (const Tensor* t : parts) {
      Tensor slot = make_view(out, t->sizes(), out.strides(),
                              out.storage_offset() + start * out.strides()[d]);
      copy(slot, *t, false);
      start += t->sizes()[d];
    }
    return;
  }
  int64_t inner = 1;
  for (int64_t k = d + 1; k < out.dim(); ++k) inner *= out.sizes()[k];
  const int64_t es = static_cast<int64_t>(out.element_size());
  const int64_t out_row = out.sizes()[d] * inner * es;
  std::vector<int64_t> begin;  // byte offset of each tensor's segment within a row
  std::vector<int64_t> row;    // bytes of each tensor's segment
  std::vector<const char*> src;
  int64_t at = 0;
  for (const Tensor* t : parts) {
    begin.push_back(at);
    row.push_back(t->sizes()[d] * inner * es);
    src.push_back(static_cast<const char*>(t->raw_data()));
    at += row.back();
  }
  char* dst = static_cast<char*>(out.raw_data());
  const int64_t total = out.numel() * es;
  parallel_for(0, total, int64_t(1) << 18, [&](int64_t lo, int64_t hi) {
    int64_t pos = lo;
    while (pos < hi) {
      const int64_t r = pos / out_row, o = pos % out_row;
      const size_t p = std::upper_bound(begin.begin(), begin.end(), o) - begin.begin() - 1;
      const int64_t within = o - begin[p];
      const int64_t n = std::min(hi - pos, row[p] - within);
      std::memcpy(dst + pos, src[p] + r * row[p] + within, size_t(n));
      pos += n;
    }
  });
}

}  // namespace kiln::cpu
