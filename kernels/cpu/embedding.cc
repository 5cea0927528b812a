// Embedding lookups (rows of weight by index) and their dense gradient (rows summed back by
// index). Every index is checked before anything is written.
#include <cstring>
#include <vector>

#include "engine/core/parallel.h"
#include "kernels/cpu/copy.h"
#include "kernels/cpu/loops.h"
#include "kernels/cpu/nn_norm.h"

namespace kiln::cpu {

using nn_detail::dense;
using nn_detail::dense_as;

namespace {

void check_indices(const char* op, const int64_t* idx, int64_t n, int64_t size) {
  for (int64_t i = 0; i < n; ++i) {
    KILN_CHECK_INDEX(idx[i] >= 0 && idx[i] < size, op, ": index out of range in self (index ",
                     idx[i], " for ", size, " embeddings)");
  }
}

}  // namespace

// out (*indices, D) = weight (num_weights, D)[indices]
void embedding(const Tensor& out, const Tensor& weight_, const Tensor& indices, int64_t, bool,
               bool) {
  const Tensor idx_t = dense_as(indices, DType::kInt64);
  const int64_t* idx = idx_t.data_ptr<int64_t>();
  const int64_t n = idx_t.numel();
  check_indices("embedding", idx, n, weight_.sizes()[0]);
  if (out.numel() == 0) return;
  const Tensor weight = dense(weight_);
  const int64_t row = weight.sizes()[1] * int64_t(weight.element_size());
  const char* src = static_cast<const char*>(weight.raw_data());
  char* dst = static_cast<char*>(out.raw_data());
  parallel_for(0, n, std::max<int64_t>(1, kGrain * 4 / std::max<int64_t>(row, 1)),
               [&](int64_t lo, int64_t hi) {
                 for (int64_t i = lo; i < hi; ++i) {
                   std::memcpy(dst + i * row, src + idx[i] * row, size_t(row));
                 }
               });
}

// out (num_weights, D) = sum of grad_output rows by index, skipping padding_idx; with
// scale_grad_by_freq each row is divided by how often its index occurs. Threads split the
// columns, so every column adds its rows in index order.
void embedding_dense_backward(const Tensor& out, const Tensor& grad_output_, const Tensor& indices,
                              int64_t num_weights, int64_t padding_idx, bool scale_grad_by_freq) {
  const Tensor idx_t = dense_as(indices, DType::kInt64);
  const int64_t* idx = idx_t.data_ptr<int64_t>();
  const int64_t n = idx_t.numel();
  check_indices("embedding_dense_backward", idx, n, num_weights);
  fill(out, Scalar(0));
  const int64_t d = out.sizes()[1];
  if (n == 0 || d == 0) return;
  const Tensor go = dense(grad_output_);
  std::vector<int64_t> counts;
  if (scale_grad_by_freq) {
    counts.assign(size_t(num_weights), 0);
    for (int64_t i = 0; i < n; ++i) ++counts[idx[i]];
  }
  KILN_DISPATCH_FLOATING(out.dtype(), "embedding_dense_backward", [&]<typename T>() {
    using A = opmath_t<T>;
    const T* g = go.data_ptr<T>();
    T* o = out.data_ptr<T>();
    parallel_for(0, d, std::max<int64_t>(16, kGrain / n), [&](int64_t lo, int64_t hi) {
      for (int64_t i = 0; i < n; ++i) {
        if (idx[i] == padding_idx) continue;
        const A scale = counts.empty() ? A(1) : A(1) / A(counts[idx[i]]);
        T* orow = o + idx[i] * d;
        const T* grow = g + i * d;
        for (int64_t j = lo; j < hi; ++j) orow[j] = T(A(orow[j]) + A(grow[j]) * scale);
      }
    });
  });
}

}  // namespace kiln::cpu
